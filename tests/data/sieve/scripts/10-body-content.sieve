require ["body", "fileinto"];
if body :content "text/plain" :contains "café" {
  fileinto "Cafe";
}
if body :content "text/html" :contains "<b>" {
  fileinto "Html";
}

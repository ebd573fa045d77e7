require ["body", "fileinto"];
if body :text :contains "menu" {
  fileinto "TextMenu";
}
if body :content "application" :contains "pdf" {
  fileinto "Pdf";
}
if body :content "multipart" :contains "alternative" {
  fileinto "Multipart";
}

require ["body", "fileinto"];
if body :contains "soup" {
  fileinto "Food";
} elsif body :raw :contains "cheap" {
  fileinto "Cheap";
}

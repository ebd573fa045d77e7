require ["fileinto"];
if header :contains "subject" "photos" {
  fileinto "Photos";
}

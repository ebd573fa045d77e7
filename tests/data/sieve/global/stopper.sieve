require ["fileinto"];
if header :contains "from" "example" {
  fileinto "Stopped";
  stop;
}

require ["fileinto"];
if exists "list-id" {
  fileinto "Lists";
  stop;
}
if header :contains "subject" ["lunch", "menu"] {
  fileinto "Food";
}

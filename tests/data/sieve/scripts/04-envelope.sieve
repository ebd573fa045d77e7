require ["envelope", "fileinto"];
if envelope :domain :is "from" "lists.example.com" {
  fileinto "Lists";
} elsif envelope :localpart :matches "from" "bounce+*" {
  fileinto "Bounces";
} elsif envelope :is "to" "bob@home.test" {
  keep;
}

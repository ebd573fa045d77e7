require ["copy", "fileinto"];
if address :domain "from" "example.org" {
  redirect :copy "bob@elsewhere.example";
}
if header :contains "subject" "ticket" {
  redirect "tickets@home.test";
}
fileinto :copy "Archive";

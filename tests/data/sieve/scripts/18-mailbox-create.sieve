require ["fileinto", "mailbox"];
if header :matches "subject" "*" {
  fileinto :create "Everything";
}

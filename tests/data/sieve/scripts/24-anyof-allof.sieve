require ["fileinto"];
if anyof (header :contains "subject" "undelivered", address :localpart "from" "mailer-daemon") {
  fileinto "Bounces";
} elsif allof (exists "auto-submitted", not header :is "auto-submitted" "no") {
  fileinto "Auto";
} else {
  keep;
}

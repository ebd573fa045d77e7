require ["regex", "variables", "fileinto"];
if header :regex "subject" "\\[ticket-([0-9]+)\\] #([0-9]+)" {
  fileinto "Tickets/${1}-${2}";
  stop;
}
if address :regex :localpart "from" "^(alice|dave)$" {
  fileinto "Regex/${1}";
}

require ["imap4flags", "fileinto"];
if address :domain "from" "shop.example" {
  fileinto :flags ["$Junk", "\\Seen"] "Junk";
}
if hasflag :contains "junk" {
  discard;
}
keep :flags "\\Answered";

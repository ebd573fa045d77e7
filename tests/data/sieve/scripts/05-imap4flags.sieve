require ["imap4flags", "fileinto"];
if header :contains "x-priority" "1" {
  addflag "\\Flagged";
}
if exists "list-id" {
  addflag ["\\Seen", "$List"];
  fileinto "Lists";
}
removeflag "$List";

require ["include", "variables", "fileinto", "imap4flags"];
global "folder";
if address :domain "from" "example.org" {
  fileinto "${folder}";
  return;
}
addflag "x";

require ["fileinto", "copy", "imap4flags"];
fileinto :flags "\\Seen" "Read";
fileinto "Read";
redirect :copy "a@elsewhere.example";
redirect "b@elsewhere.example";

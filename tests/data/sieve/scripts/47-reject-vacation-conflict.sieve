require ["reject", "vacation"];
if header :contains "subject" ["lunch", "offer", "ticket"] {
  reject "No.";
  vacation "Away.";
}

require ["reject"];
if header :is "x-spam-flag" "YES" {
  discard;
  stop;
}
if address :is "from" "noreply@service.example" {
  reject "I do not accept automated mail.";
}

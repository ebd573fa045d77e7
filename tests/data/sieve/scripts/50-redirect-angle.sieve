require ["copy"];
if address :domain "from" ["example.org", "example.net"] {
  redirect :copy "<archive@elsewhere.example>";
}

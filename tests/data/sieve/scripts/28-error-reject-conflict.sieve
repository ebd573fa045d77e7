require ["reject", "fileinto"];
if address :domain "from" "shop.example" {
  fileinto "Shop";
  reject "No shopping mail.";
}

require ["variables", "fileinto"];
if header :matches "list-id" "*<*.lists.example.com>" {
  set :lower "list" "${2}";
  fileinto "Lists/${list}";
  stop;
}
if address :matches "from" "*@*" {
  set "domain" "${2}";
  if string :is "${domain}" "example.org" {
    fileinto "Friends";
  }
}

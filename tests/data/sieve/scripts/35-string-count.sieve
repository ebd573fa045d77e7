require ["variables", "relational", "comparator-i;ascii-numeric", "fileinto"];
set "empty" "";
set "one" "x";
if string :count "eq" :comparator "i;ascii-numeric" ["${empty}", "${one}", "y"] "2" {
  fileinto "CountTwo";
}
if string :matches "${one}" "?" {
  fileinto "OneChar";
}

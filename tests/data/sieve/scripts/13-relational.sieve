require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5" {
  fileinto "Junk";
}
if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] "3" {
  fileinto "Crowd";
}
if header :count "eq" :comparator "i;ascii-numeric" "x-priority" "2" {
  fileinto "TwoPriorities";
}

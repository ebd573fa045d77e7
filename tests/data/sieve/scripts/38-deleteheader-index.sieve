require ["editheader", "index", "fileinto", "relational", "comparator-i;ascii-numeric"];
deleteheader :index 1 "x-priority";
if header :count "eq" :comparator "i;ascii-numeric" "x-priority" "1" {
  fileinto "OnePriorityLeft";
}
deleteheader :matches "subject" "*lunch*";
if not exists "subject" {
  fileinto "SubjectGone";
}

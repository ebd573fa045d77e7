require ["index", "date", "fileinto"];
if header :index 1 :last "x-priority" "5" {
  fileinto "LastPriority5";
}
if header :index 1 "x-priority" "3" {
  fileinto "FirstPriority3";
}
if date :index 1 :zone "+0000" "received" "year" "2026" {
  fileinto "Received2026";
}

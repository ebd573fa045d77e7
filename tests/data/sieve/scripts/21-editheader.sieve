require ["editheader", "fileinto"];
addheader "X-Sieve-Filtered" "yes";
deleteheader "x-spam-flag";
if header :is "x-sieve-filtered" "yes" {
  if not exists "x-spam-flag" {
    fileinto "Edited";
  }
}

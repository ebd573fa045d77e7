require ["fileinto"];
if size :over 700 {
  fileinto "Big";
} elsif size :under 300 {
  fileinto "Small";
}

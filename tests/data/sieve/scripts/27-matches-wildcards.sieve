require ["fileinto", "variables"];
if header :matches "subject" "[*] *" {
  fileinto "Bracket-${1}";
} elsif header :matches "subject" "Re: *" {
  fileinto "Reply";
} elsif header :matches "subject" "?unch*" {
  fileinto "Q";
}

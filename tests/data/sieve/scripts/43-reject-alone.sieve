require ["reject"];
if header :contains "subject" ["ticket", "offer", "off everything"] {
  reject text:
Your message was refused.
Please do not write again.
.
;
}

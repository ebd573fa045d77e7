# RFC 5228 §5.1: the address test is for headers that hold addresses.
if address :contains "subject" "lunch" {
  discard;
}

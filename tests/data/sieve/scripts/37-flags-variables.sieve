require ["imap4flags", "variables", "fileinto"];
set "myflags" "";
addflag "myflags" "\\Seen";
addflag "myflags" ["$A", "$B"];
removeflag "myflags" "$A";
if hasflag :is "myflags" "$B" {
  fileinto :flags "${myflags}" "WithVarFlags";
}
setflag "\\Draft";
keep;

require ["vacation", "vacation-seconds"];
if not exists "list-id" {
  vacation :seconds 7200 :subject "Out of office" :from "bob@home.test" text:
I am out of the office.
..dotted line
.
;
}

require ["variables", "fileinto"];
set "a" "Hello World";
set :upper "b" "${a}";
set :lowerfirst "c" "${b}";
set :length "n" "${a}";
if string :is "${c}" "hELLO WORLD" {
  if string :is "${n}" "11" {
    fileinto "Modifiers-${n}";
  }
}

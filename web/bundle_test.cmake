# cmake -DBUNDLER=cmake/bundle_web_app.cmake -DWORK=DIR -P web/bundle_test.cmake
# The web console's bundler on small made-up asset folders: what it writes for modules that
# follow its rules, and that it stops the build (with the file's name) for one that does not,
# since a module it mangled would only fail later, in a browser.
cmake_minimum_required(VERSION 3.21)
set(failures 0)

# expect("what is checked" CONDITION...): the condition as if() takes it.
function(expect what)
  if(${ARGN})
    message(STATUS "ok   ${what}")
  else()
    message(STATUS "FAIL ${what}")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  endif()
endfunction()

# Writes an asset folder: app.js importing the strings and the pages, and the given pages.
function(make_assets dir page_a page_b)
  file(REMOVE_RECURSE ${dir})
  file(WRITE ${dir}/app.js "import en from '/web/i18n/en.js';\nimport pages from '/web/pages.js';\nexport const ids = pages.map((p) => p.id);\n")
  file(WRITE ${dir}/i18n/en.js "// strings\nexport default {\n  'a.b': 'x; y',\n};\n")
  file(WRITE ${dir}/pages/alpha.js "${page_a}")
  file(WRITE ${dir}/pages/beta.js "${page_b}")
endfunction()

function(bundle dir out_var err_var)
  execute_process(COMMAND ${CMAKE_COMMAND} -DASSET_DIR=${dir} -DOUT_DIR=${dir}-out -P ${BUNDLER}
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  set(${out_var} ${rc} PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

set(good_a "const helper = (x) => x + 1;\nexport default { id: 'alpha', n: helper(1) };\n")
set(good_b "export default {\n  id: 'beta',\n};\n")

make_assets(${WORK}/good "${good_a}" "${good_b}")
bundle(${WORK}/good rc err)
expect("modules that follow the rules are bundled" rc EQUAL 0)
file(READ ${WORK}/good-out/app.js js)
file(READ ${WORK}/good-out/pages.json ids)
set(want "[\"alpha\",\"beta\"]")
expect("pages.json lists the pages by id" ids STREQUAL want)
string(FIND "${js}" "import " at_import)
expect("no import is left in the bundle" at_import EQUAL -1)
string(FIND "${js}" "const en = (() => {" at_en)
string(FIND "${js}" "const pages = [" at_pages)
string(FIND "${js}" "export const ids" at_app)
expect("the strings, then the pages, then app.js" at_en GREATER -1 AND at_pages GREATER at_en AND at_app GREATER at_pages)
string(FIND "${js}" "return { id: 'alpha', n: helper(1) };" at_alpha)
string(FIND "${js}" "'a.b': 'x; y'," at_string)
expect("a default export becomes the module's return value, text intact (';' too)" at_alpha GREATER -1 AND at_string GREATER -1)

make_assets(${WORK}/none "const x = 1;\n" "${good_b}")
bundle(${WORK}/none rc err)
string(FIND "${err}" "pages/alpha.js" named)
expect("a page without 'export default' stops the build, naming the file" NOT rc EQUAL 0 AND named GREATER -1)

make_assets(${WORK}/extra "${good_a}export const more = 2;\n" "${good_b}")
bundle(${WORK}/extra rc err)
expect("a page exporting more than its default stops the build" NOT rc EQUAL 0)

make_assets(${WORK}/imports "import x from '/web/x.js';\n${good_a}" "${good_b}")
bundle(${WORK}/imports rc err)
expect("a page importing anything stops the build" NOT rc EQUAL 0)

make_assets(${WORK}/missing "${good_a}" "${good_b}")
file(APPEND ${WORK}/missing/app.js "import nope from '/web/nope.js';\n")
bundle(${WORK}/missing rc err)
string(FIND "${err}" "/web/nope.js" named)
expect("app.js importing a file that is not there stops the build" NOT rc EQUAL 0 AND named GREATER -1)

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} failed")
endif()

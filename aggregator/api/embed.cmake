# Turn IN into a C file OUT defining sf_api_openapi_json / _len.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "#include <stddef.h>\nconst char sf_api_openapi_json[] = {${body} 0};\n"
                  "const size_t sf_api_openapi_len = ${len};\n")

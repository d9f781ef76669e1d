"""Makes dlib 19.24's Python bindings build against Debian bookworm's pybind11 (2.10).

dlib 19.24 was written for the pybind11 2.2 it bundled, and Debian removes bundled copies
(dlib/external is not in the +dfsg tarball). pybind11 2.3 dropped PYBIND11_DESCR: a type's
printed name is now a constexpr value `name`, not a function `name()`. Only the numpy_image type
caster uses the old form, so this rewrites its name into the new one. The printed text (used in
docstrings and error messages) stays as before, e.g. "numpy.ndarray[(rows,cols,3),uint8]".
It also points tools/python/CMakeLists.txt at the system pybind11 (pybind11-dev) instead of the
deleted bundled copy.

Usage: python3 dlib-pybind11.py DLIB_SOURCE_DIR
"""
import re
import sys

cmake = sys.argv[1] + "/tools/python/CMakeLists.txt"
text = open(cmake).read()
bundled = "add_subdirectory(../../dlib/external/pybind11 pybind11_build)"
if bundled not in text:
    sys.exit(f"{cmake}: no '{bundled}' line; is this another dlib version?")
open(cmake, "w").write(text.replace(bundled, "find_package(pybind11 CONFIG REQUIRED)"))

header = sys.argv[1] + "/dlib/python/numpy_image.h"
text = open(header).read()

old_name = re.compile(
    r"(struct handle_type_name<dlib::numpy_image<pixel_type>>\s*\{\s*"
    r"using basic_pixel_type = [^;]*;)(.*?)(\n        \};)",
    re.S,
)
new_name = r"""\1
            static constexpr size_t channels = dlib::pixel_traits<pixel_type>::num;
            // ",N" after cols for multi-channel pixels; nothing for grey images.
            static constexpr auto name = const_name("numpy.ndarray[(rows,cols")
                + const_name<(channels > 1)>(const_name(",") + const_name<channels>(), const_name(""))
                + const_name("),") + npy_format_descriptor<basic_pixel_type>::name + const_name("]");\3"""
text, n1 = old_name.subn(new_name, text, count=1)
text, n2 = re.subn(r"PYBIND11_TYPE_CASTER\(type, handle_type_name<type>::name\(\)\)",
                   "PYBIND11_TYPE_CASTER(type, handle_type_name<type>::name)", text)
if n1 != 1 or n2 != 1:
    sys.exit(f"{header}: expected dlib 19.24's numpy_image type caster (found {n1} name, {n2} caster); "
             "is this another dlib version?")
open(header, "w").write(text)
print(f"{cmake}: system pybind11; {header}: numpy_image caster updated for pybind11 >= 2.3")

"""Builds the ssx Python package with CMake (the one build of the project) for pip.

    pip install --no-build-isolation --no-index .

The build_ext step configures the CMake project (or reuses the build folder named by
SSX_CMAKE_BUILD_DIR), builds the extension target, and installs CMake's "python" component into
the wheel: the ssx package, the extension ssx._ssx (RPATH $ORIGIN) and libssx.so.<major> beside
it, so the installed package needs no LD_LIBRARY_PATH and no system-wide libssx.
Environment: SSX_CMAKE_BUILD_DIR (reuse a configured build folder; it must be configured for this
interpreter), SSX_CMAKE_INSTALL_ONLY=1 (with SSX_CMAKE_BUILD_DIR: package that folder's build as it
is, without building — for tests that run while the folder is in use), SSX_CMAKE_ARGS (extra
arguments for the configure step), CMAKE_BUILD_PARALLEL_LEVEL.
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
# pip builds in the source tree; setuptools' scratch folders (build/, ssx.egg-info) go to a
# private temporary folder instead (mkdtemp: not a predictable shared path), so the tree (and a
# CMake build folder named build/) stays clean.
SCRATCH = Path(tempfile.mkdtemp(prefix="ssx-setuptools-"))
atexit.register(shutil.rmtree, SCRATCH, True)


def project_version() -> str:
    header = (ROOT / "capi" / "include" / "ssx" / "ssx.h").read_text()
    m = re.search(r'#define SSX_VERSION_STRING "([^"]+)"', header)
    if not m:
        raise RuntimeError("SSX_VERSION_STRING not found in capi/include/ssx/ssx.h")
    return m.group(1)


def cache_value(build_dir: Path, name: str) -> str | None:
    cache = build_dir / "CMakeCache.txt"
    if not cache.is_file():
        return None
    for line in cache.read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split("=", 1)[1]
    return None


class CMakeBuild(build_ext):
    """Runs CMake instead of compiling the extension with distutils."""

    def run(self) -> None:
        if shutil.which("cmake") is None:
            raise RuntimeError("cmake is needed to build ssx (Debian: apt install cmake ninja-build)")
        build_dir = Path(os.environ.get("SSX_CMAKE_BUILD_DIR") or Path(self.build_temp).resolve() / "cmake")
        python = os.path.realpath(sys.executable)
        configured_for = cache_value(build_dir, "Python3_EXECUTABLE")
        if configured_for is None:
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            self.spawn(["cmake", "-S", str(ROOT), "-B", str(build_dir), *generator,
                        "-DCMAKE_BUILD_TYPE=Release", f"-DPython3_EXECUTABLE={python}",
                        "-DSSX_BUILD_TESTS=OFF", "-DBUILD_TESTING=OFF", "-DSSX_BUILD_SWIG=OFF",
                        *shlex.split(os.environ.get("SSX_CMAKE_ARGS", ""))])
        elif os.path.realpath(configured_for) != python:
            raise RuntimeError(f"{build_dir} is configured for {configured_for}, not {python}; "
                               "use another SSX_CMAKE_BUILD_DIR or -DPython3_EXECUTABLE")
        if not (os.environ.get("SSX_CMAKE_INSTALL_ONLY") == "1" and os.environ.get("SSX_CMAKE_BUILD_DIR")):
            self.spawn(["cmake", "--build", str(build_dir), "--target", "ssx_python_ext"])
        # Into build_lib, which becomes the wheel: the package, the extension, libssx.so.N.
        self.spawn(["cmake", "--install", str(build_dir), "--component", "python",
                    "--prefix", str(Path(self.build_lib).resolve())])
        ext_path = Path(self.get_ext_fullpath("ssx._ssx"))
        if not ext_path.is_file():
            raise RuntimeError(f"CMake did not produce {ext_path} (is the build for another Python version?)")


setup(
    version=project_version(),
    packages=["ssx"],
    package_dir={"": "python"},
    package_data={"ssx": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("ssx._ssx", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
    options={"build": {"build_base": str(SCRATCH / "build")}, "egg_info": {"egg_base": str(SCRATCH)}},
)

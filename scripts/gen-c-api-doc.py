#!/usr/bin/python3
"""Generates docs/c-api.md from the comments of capi/include/ssx/ssx.h, so the reference can never
say something the header does not.

    /usr/bin/python3 scripts/gen-c-api-doc.py           # rewrite docs/c-api.md
    /usr/bin/python3 scripts/gen-c-api-doc.py --check   # exit 1 (with a diff) if it is out of date

The header is the source of truth (SQLite style: every function is documented where it is
declared). The generator also refuses a header in which an exported function has no comment.

What it understands in ssx.h:
  - the file comment at the top (overview and conventions);
  - section banners  /* ----...\n * Title\n * ----... */  -> "## Title";
  - a comment immediately followed by SSX_API declarations -> one entry (consecutive declarations
    share the comment, e.g. ssx_send and ssx_recv);
  - a comment followed by a blank line -> a free paragraph (e.g. notes on a group of accessors);
  - runs of #define NAME VALUE /* meaning */ -> a table; multi-line macros and typedef structs ->
    code blocks, kept verbatim (their field comments are the documentation).
"""
import argparse
import difflib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = os.path.join(ROOT, "capi", "include", "ssx", "ssx.h")
OUTPUT = os.path.join(ROOT, "docs", "c-api.md")
REGENERATE = "/usr/bin/python3 scripts/gen-c-api-doc.py"


class HeaderError(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# Comment text -> Markdown
# ------------------------------------------------------------------------------------------------

# ssx identifiers, with a call's arguments or a struct member when written next to them
# ("ssx_handshake(fd)", "ssx_query_info.flags"), and pointer parameters ("*info_len").
CODE_WORD = re.compile(r"(?<![\w*])((?:ssx|SSX)_[A-Za-z0-9_]*\*?(?:\([^()]*\))?(?:\.\w+)?|\*_INIT|\*[a-z]\w*)")
# A line that starts a new paragraph: "Errors: ...", "tmpl: ...", "info/info_len: ...".
LABEL = re.compile(r"^(Errors|[a-z_]+(/[a-z_]+)*): ")


def inline(text):
    """Escapes Markdown in prose and puts ssx identifiers in code spans; `spans` the header
    already marks are kept as they are."""
    out = []
    for k, part in enumerate(re.split(r"(`[^`]*`)", text)):
        if k % 2:
            out.append(part)
            continue
        pos = 0
        for m in CODE_WORD.finditer(part):
            out.append(escape(part[pos:m.start()]))
            out.append("`%s`" % m.group(1))
            pos = m.end()
        out.append(escape(part[pos:]))
    return "".join(out)


def escape(text):
    for ch in "\\*<[]":  # "_" inside words is not emphasis in GitHub Markdown
        text = text.replace(ch, "\\" + ch)
    return text


def strip_comment(lines):
    """The text of a /* ... */ comment, one entry per line, markers removed, indentation kept
    relative to the ' * ' gutter."""
    text = []
    for i, line in enumerate(lines):
        s = line.rstrip()
        if i == 0:
            s = re.sub(r"^\s*/\*\s?", "", s)
        else:
            s = re.sub(r"^\s*\*(?!/) ?", "", s, count=1)
        if s.endswith("*/"):
            s = s[:-2].rstrip()
        if i == len(lines) - 1 and s.strip() == "":
            continue
        text.append(s)
    while text and not text[0].strip():
        text.pop(0)
    return text


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def is_preformatted(line):
    """Aligned columns (a table of forms, a figure) or deep indentation: keep as it is."""
    ind = indent_of(line)
    return ind >= 6 or (ind >= 2 and re.search(r"\S {3,}\S", line) is not None)


def comment_to_markdown(lines):
    """Paragraphs, '- ' bullets and preformatted blocks; continuation lines join their line."""
    blocks = []     # ("p", text) | ("li", text) | ("pre", [lines])
    for line in lines + [""]:
        if not line.strip():
            blocks.append(("break", None))
            continue
        stripped = line.strip()
        last = blocks[-1] if blocks else ("break", None)
        if last[0] == "pre" and (indent_of(line) >= 2 or is_preformatted(line)):
            last[1].append(line)
        elif is_preformatted(line):
            blocks.append(("pre", [line]))
        elif stripped.startswith("- "):
            blocks.append(("li", stripped[2:]))
        elif last[0] in ("p", "li") and (indent_of(line) >= 2 or (last[0] == "p" and not LABEL.match(line))):
            blocks[-1] = (last[0], last[1] + " " + stripped)
        else:
            blocks.append(("p", stripped))
    out = []
    prev = None
    for kind, value in blocks:
        if kind == "break":
            prev = "break"
            continue
        if out and not (kind == "li" and prev == "li"):
            out.append("")
        if kind == "p":
            out.append(inline(value))
        elif kind == "li":
            out.append("- " + inline(value))
        else:
            base = min(indent_of(l) for l in value)
            out.append("```text")
            out.extend(l[base:].rstrip() for l in value)
            out.append("```")
        prev = kind
    return out


# ------------------------------------------------------------------------------------------------
# Header -> entries
# ------------------------------------------------------------------------------------------------

BANNER = re.compile(r"^/\* -{20,}$")
DECL_NAME = re.compile(r"\b(ssx_\w+)\s*\(")
DEFINE = re.compile(r"^#define\s+(\w+)\s+(.*?)\s*(?:/\*\s*(.*?)\s*\*/)?\s*$")


def read_comment(lines, i):
    """Returns (comment lines, index after it) for the comment starting at lines[i]."""
    j = i
    while "*/" not in lines[j]:
        j += 1
        if j >= len(lines):
            raise HeaderError("unterminated comment at line %d" % (i + 1))
    return lines[i:j + 1], j + 1


def parse(text):
    lines = text.split("\n")
    i = 0
    # The file comment.
    while not lines[i].startswith("/*"):
        i += 1
    top, i = read_comment(lines, i)
    doc = {"intro": strip_comment(top), "sections": []}
    section = None
    pending = None  # comment lines waiting for a declaration
    seen_api = False

    def flush_pending_as_note():
        nonlocal pending
        if pending is not None and section is not None:
            section["items"].append(("note", pending))
        pending = None

    n = len(lines)
    while i < n:
        line = lines[i]
        s = line.strip()
        if BANNER.match(s):
            title_lines, i = read_comment(lines, i)
            title = [l.strip(" *") for l in title_lines[1:-1] if l.strip(" *-")]
            flush_pending_as_note()
            section = {"title": " ".join(title), "items": []}
            doc["sections"].append(section)
            seen_api = True
            continue
        if not seen_api:
            i += 1
            continue
        if s.startswith("/*"):
            flush_pending_as_note()
            comment, i = read_comment(lines, i)
            pending = strip_comment(comment)
            # A comment followed by a blank line is a note about what follows, not an entry's.
            if i < n and not lines[i].strip():
                flush_pending_as_note()
            continue
        if s.startswith("SSX_API"):
            decls = []
            while i < n and lines[i].strip().startswith("SSX_API"):
                decl = [lines[i]]
                while not decl[-1].rstrip().endswith(";"):
                    i += 1
                    decl.append(lines[i])
                i += 1
                decls.append("\n".join(decl))
            names = [DECL_NAME.search(d).group(1) for d in decls]
            if pending is None:
                raise HeaderError("%s has no comment in ssx.h: document it above the declaration "
                                  "(what it does, parameters, ownership, errors)" % ", ".join(names))
            section["items"].append(("function", names, decls, pending))
            pending = None
            continue
        if s.startswith("typedef struct") and s.endswith("{"):
            j = i
            while not re.match(r"^\}\s*\w+;", lines[j].strip()):
                j += 1
            section["items"].append(("code", lines[i:j + 1], pending))
            pending = None
            i = j + 1
            continue
        if s.startswith("typedef "):
            section["items"].append(("code", [line], pending))
            pending = None
            i += 1
            continue
        if s.startswith("#define") and s.endswith("\\"):
            j = i
            while lines[j].rstrip().endswith("\\"):
                j += 1
            section["items"].append(("code", lines[i:j + 1], pending))
            pending = None
            i = j + 1
            continue
        if s.startswith("#define"):
            rows = []
            while i < n and lines[i].strip().startswith("#define") and not lines[i].rstrip().endswith("\\"):
                text = lines[i].strip()
                start = i
                # A trailing comment may continue on the next lines (" * more words */").
                while "/*" in text and "*/" not in text[text.index("/*"):]:
                    i += 1
                    if i >= n:
                        raise HeaderError("unterminated comment after the #define at line %d" % (start + 1))
                    text += " " + re.sub(r"^\s*\*(?!/)\s?", "", lines[i].strip())
                m = DEFINE.match(text)
                if not m:
                    raise HeaderError("cannot read the #define at line %d" % (start + 1))
                rows.append(m.groups())
                i += 1
            section["items"].append(("defines", rows, pending))
            pending = None
            continue
        i += 1  # preprocessor guards, extern "C", blank lines
    flush_pending_as_note()
    return doc


# ------------------------------------------------------------------------------------------------
# Entries -> Markdown
# ------------------------------------------------------------------------------------------------

def anchor(title):
    a = re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-")
    return a


def render(doc, header_rel):
    out = ["<!-- Generated from %s by scripts/gen-c-api-doc.py. Do not edit: change the header's comments"
           " and run %s. -->" % (header_rel, REGENERATE), "",
           "# C API reference: `ssx/ssx.h`", "",
           "Every declaration of the native C ABI, with the comment the header gives it: what it does, "
           "its parameters, who owns what, and the errors it reports. `#include <ssx/ssx.h>`, link with "
           "`-lssx` (`pkg-config --cflags --libs ssx`, or `find_package(ssx)` and `ssx::ssx` in CMake).",
           "", "## Overview", ""]
    out += comment_to_markdown(doc["intro"])
    out += ["", "## Contents", ""]
    for sec in doc["sections"]:
        funcs = [n for item in sec["items"] if item[0] == "function" for n in item[1]]
        line = "- [%s](#%s)" % (sec["title"], anchor(sec["title"]))
        if funcs:
            line += ": " + ", ".join("[`%s`](#%s)" % (f, anchor(heading_for(sec, f))) for f in funcs)
        out.append(line)
    for sec in doc["sections"]:
        out += ["", "## " + sec["title"]]
        for item in sec["items"]:
            kind = item[0]
            if kind == "note":
                out += [""] + comment_to_markdown(item[1])
            elif kind == "function":
                _, names, decls, comment = item
                out += ["", "### " + ", ".join("`%s`" % n for n in names), "", "```c"]
                out += [normalize_decl(d) for d in decls]
                out += ["```", ""] + comment_to_markdown(comment)
            elif kind == "code":
                _, code, comment = item
                if comment:
                    out += [""] + comment_to_markdown(comment)
                out += ["", "```c"] + [l.rstrip() for l in code] + ["```"]
            elif kind == "defines":
                _, rows, comment = item
                if comment:
                    out += [""] + comment_to_markdown(comment)
                out += ["", "| Name | Value | Meaning |", "|---|---|---|"]
                for name, value, meaning in rows:
                    out.append("| `%s` | `%s` | %s |" % (name, value, inline(meaning or "").replace("|", "\\|")))
    return "\n".join(out).rstrip("\n") + "\n"


def heading_for(sec, name):
    for item in sec["items"]:
        if item[0] == "function" and name in item[1]:
            return ", ".join(item[1])
    return name


def normalize_decl(decl):
    """One declaration per line, without the export macro (it is an attribute, not API)."""
    text = re.sub(r"\s+", " ", decl.replace("SSX_API ", "")).strip()
    return text.replace("( ", "(").replace(" )", ")")


# ------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", default=HEADER)
    ap.add_argument("--output", default=OUTPUT)
    ap.add_argument("--check", action="store_true", help="fail if the output file is out of date")
    args = ap.parse_args()
    header_rel = os.path.relpath(os.path.abspath(args.header), ROOT)
    try:
        with open(args.header, encoding="utf-8") as fh:
            generated = render(parse(fh.read()), header_rel)
    except (HeaderError, OSError) as e:
        sys.exit("gen-c-api-doc: %s" % e)
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as fh:
                current = fh.read()
        except OSError as e:
            sys.exit("gen-c-api-doc: %s; run %s" % (e, REGENERATE))
        if current != generated:
            diff = list(difflib.unified_diff(current.splitlines(), generated.splitlines(),
                                             "docs/c-api.md (current)", "docs/c-api.md (from the header)",
                                             lineterm=""))
            print("\n".join(diff[:60]) + ("\n..." if len(diff) > 60 else ""))
            sys.exit("gen-c-api-doc: docs/c-api.md is out of date with %s; run %s" % (header_rel, REGENERATE))
        print("docs/c-api.md is up to date with %s" % header_rel)
        return
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(generated)
    print("wrote %s" % os.path.relpath(args.output, ROOT))


if __name__ == "__main__":
    main()

"""BibTeX from CITATION.cff: the README's "Citing" entries have one source.

    python -m mlpt.citation                          # the entries the README shows
    python -m mlpt.citation --commit "$(git rev-parse HEAD)"   # the artifact at one commit
    python -m mlpt.citation --update-readme          # rewrite the README's BibTeX block
    python -m mlpt.citation --zenodo > .zenodo.json  # the same metadata for Zenodo

The artifact (the CFF's root, ``type: software``) comes first as ``@software``, then every entry of
``references`` (``article`` as ``@article``, ``conference-paper`` as ``@inproceedings``).
tests/unit/test_citation.py fails when the README's block or .zenodo.json differs from what this
prints.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CFF = REPO / "CITATION.cff"
README = REPO / "README.md"

#: the README section whose first ```bibtex block is generated here
README_SECTION = "## Citing"
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
COUNTRIES = {"US": "USA"}
ENTRY_TYPES = {"software": "software", "article": "article", "conference-paper": "inproceedings"}


def load(path: Path | str = CFF) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _person(p: dict) -> str:
    """One BibTeX name: "Family, Given" for a person; an entity's name in braces (kept whole)."""
    if "family-names" in p:
        family = " ".join(x for x in (p.get("name-particle"), p["family-names"]) if x)
        suffix = f", {p['name-suffix']}" if p.get("name-suffix") else ""
        return f"{family}{suffix}, {p['given-names']}" if p.get("given-names") else family
    return "{" + p["name"] + "}"


def _names(people: list[dict]) -> str:
    return " and ".join(_person(p) for p in people)


def _title(text: str) -> str:
    """The title with acronyms (two capitals or more in a word: LLM) braced against a style's lower-casing."""
    return re.sub(r"\b([A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*)\b", r"{\1}", text)


def _key(entry: dict) -> str:
    """first author's family name (the title's first word for an entity) + year + the title's first
    content word, lower-case ASCII: dhaliwal2026english."""
    first = entry["authors"][0]
    title_words = re.findall(r"[A-Za-z0-9]+", entry["title"])
    year = _year(entry)
    if "family-names" in first:
        head = first["family-names"]
        word = next((w for w in title_words if w.lower() not in {"a", "an", "the", "on", "of"}), "")
    else:
        head, word = title_words[0], ""
    return re.sub(r"[^a-z0-9]", "", f"{head}{year}{word}".lower())


def _year(entry: dict) -> str:
    if "year" in entry:
        return str(entry["year"])
    return str(entry["date-released"])[:4]


def _month(entry: dict) -> str | None:
    if "month" in entry:
        return MONTHS[int(entry["month"]) - 1]
    if "date-released" in entry:
        return MONTHS[int(str(entry["date-released"])[5:7]) - 1]
    return None


def _fields(entry: dict, commit: str | None = None) -> list[tuple[str, str]]:
    """(field, BibTeX value with its delimiters) in the order they are printed."""
    kind = entry.get("type", "software")
    out = [("author", "{" + _names(entry["authors"]) + "}"), ("title", "{" + _title(entry["title"]) + "}")]
    if kind == "article":
        out.append(("journal", "{" + entry["journal"] + "}"))
    elif kind == "conference-paper":
        out.append(("booktitle", "{" + entry["collection-title"] + "}"))
        if entry.get("editors"):
            out.append(("editor", "{" + _names(entry["editors"]) + "}"))
        if "start" in entry:
            pages = f"{entry['start']}--{entry['end']}" if "end" in entry else str(entry["start"])
            out.append(("pages", "{" + pages + "}"))
        conf = entry.get("conference", {})
        place = [conf.get("city"), conf.get("region"), COUNTRIES.get(conf.get("country"), conf.get("country"))]
        if any(place):
            out.append(("address", "{" + ", ".join(p for p in place if p) + "}"))
        if entry.get("publisher"):
            out.append(("publisher", "{" + entry["publisher"]["name"] + "}"))
    elif kind == "software":
        out.append(("version", "{" + str(entry["version"]) + "}"))
        out.append(("license", "{" + entry["license"] + "}"))
    else:
        raise ValueError(f"CITATION.cff: no BibTeX mapping for type {kind!r} (known: {sorted(ENTRY_TYPES)})")
    out.append(("year", "{" + _year(entry) + "}"))
    if month := _month(entry):
        out.append(("month", month))
    if entry.get("doi"):
        out.append(("doi", "{" + entry["doi"] + "}"))
    url = entry.get("repository-code") or entry.get("url")
    if url:
        out.append(("url", "{" + url + "}"))
    notes = [entry["notes"]] if entry.get("notes") else []
    if commit:
        notes.append(f"Git commit {commit}")
    if notes:
        out.append(("note", "{" + "; ".join(notes) + "}"))
    return out


def bibtex_entry(entry: dict, commit: str | None = None) -> str:
    fields = _fields(entry, commit)
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {value}" for name, value in fields)
    return f"@{ENTRY_TYPES[entry.get('type', 'software')]}{{{_key(entry)},\n{body}\n}}"


def bibtex(cff: dict, commit: str | None = None) -> str:
    """The artifact's entry (with ``commit`` in its note, when given), then every reference's."""
    if commit is not None and not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        raise ValueError(f"--commit {commit!r}: expected a hexadecimal commit hash (git rev-parse HEAD)")
    entries = [bibtex_entry(cff, commit)] + [bibtex_entry(ref) for ref in cff.get("references", [])]
    return "\n".join(entries) + "\n"


def _creator(p: dict) -> dict:
    """A Zenodo creator: "Family, Given" for a person, the name for an entity; affiliation and ORCID kept."""
    if "family-names" in p:
        name = _person(p)
    else:
        name = p["name"]
    out = {"name": name}
    if p.get("affiliation"):
        out["affiliation"] = p["affiliation"]
    if p.get("orcid"):
        out["orcid"] = p["orcid"].rsplit("/", 1)[-1]
    return out


def _resource_type(ref: dict) -> str:
    if ref.get("type") == "conference-paper":
        return "publication-conferencepaper"
    if ref.get("type") == "article":
        return "publication-preprint" if ref.get("journal", "").startswith("arXiv") else "publication-article"
    return "other"


def zenodo(cff: dict) -> dict:
    """The .zenodo.json of the artifact (Zenodo's deposit metadata for a GitHub release): the CFF's
    title, version, date, creators, license, abstract and keywords; each reference's DOI, URL and
    URL identifiers as related identifiers ("references")."""
    related = []
    if cff.get("repository-code"):
        related.append({"identifier": cff["repository-code"], "relation": "isSupplementTo", "resource_type": "software"})
    for ref in cff.get("references", []):
        ids = [f"https://doi.org/{ref['doi']}"] if ref.get("doi") else []
        ids += [ref["url"]] if ref.get("url") else []
        ids += [i["value"] for i in ref.get("identifiers", []) if i["type"] in ("url", "doi")]
        related += [{"identifier": i, "relation": "references", "resource_type": _resource_type(ref)} for i in ids]
    out = {
        "upload_type": "software",
        "title": cff["title"],
        "version": str(cff["version"]),
        "publication_date": str(cff["date-released"]),
        "creators": [_creator(p) for p in cff["authors"]],
        "description": cff["abstract"],
        "license": cff["license"],
        "access_right": "open",
        "keywords": list(cff.get("keywords", [])),
        "related_identifiers": related,
    }
    return out  # no "doi": Zenodo mints one per release (a DOI in the CFF is the record's, not the next one's)


def readme_bibtex(text: str) -> tuple[int, int]:
    """(start, end) offsets of the body of the first ```bibtex block in the README's Citing section."""
    section = re.search(rf"^{re.escape(README_SECTION)}\s*$", text, re.M)
    if section is None:
        raise ValueError(f"README.md has no '{README_SECTION}' section")
    nxt = re.search(r"^## ", text[section.end():], re.M)
    stop = section.end() + nxt.start() if nxt else len(text)
    block = re.compile(r"^```bibtex\n(.*?)^```", re.M | re.S).search(text, section.end(), stop)
    if block is None:
        raise ValueError(f"README.md: no ```bibtex block in '{README_SECTION}'")
    return block.start(1), block.end(1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mlpt.citation", description=__doc__.splitlines()[0])
    ap.add_argument("--cff", default=str(CFF), help="the CITATION.cff to read (default: the repository's)")
    ap.add_argument("--commit", help="cite the artifact at this commit (a hash: git rev-parse HEAD)")
    ap.add_argument("--zenodo", action="store_true", help="print the .zenodo.json for the CFF instead of BibTeX")
    ap.add_argument("--update-readme", action="store_true",
                    help=f"write the entries into README.md's '{README_SECTION}' BibTeX block instead of printing them")
    args = ap.parse_args(argv)
    if args.update_readme and args.commit:
        ap.error("--update-readme writes the entries without a commit: leave out --commit")
    try:
        if args.zenodo:
            sys.stdout.write(json.dumps(zenodo(load(args.cff)), indent=2, ensure_ascii=False) + "\n")
            return 0
        text = bibtex(load(args.cff), args.commit)
    except (ValueError, KeyError) as err:
        print(f"mlpt.citation: {err}", file=sys.stderr)
        return 2
    if args.update_readme:
        readme = README.read_text(encoding="utf-8")
        start, end = readme_bibtex(readme)
        README.write_text(readme[:start] + text + readme[end:], encoding="utf-8")
        print(f"updated the BibTeX of {README.name}, section '{README_SECTION}'")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

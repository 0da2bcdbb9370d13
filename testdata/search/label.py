"""Writes queries.tsv: each query with the posts a reader expects, found by a rule over what a post is *about*
(its title and its categories, in Korean and English forms of the subject), not over its body text, and
independent of any search engine. Run from the repository root after `cargo build`:

    python3 testdata/search/label.py

The rules are in this file; the labels are frozen in queries.tsv (post URLs), so a change to the parser or
to a rule shows up in review.
"""
import glob, json, os, re, subprocess, sys

CORPUS = "testdata/feeds/real"
# Company names of the organisations' blogs; a personal blog is named by its feed's title.
COMPANIES = {
    "kr-kakaostyle-devblog.xml": "카카오스타일 KakaoStyle",
    "kr-kakaostyle-devblog-2nd.xml": "카카오스타일 KakaoStyle",
    "kr-zum-techblog.xml": "줌인터넷 ZUM",
    "kr-cognex-sualab.xml": "코그넥스 수아랩 Cognex SUALAB",
    "kr-yourssu-blog.xml": "유어슈 Yourssu",
}

# kind, query, rule (a regex over title + categories, case-insensitive) or source:FILE,...
QUERIES = [
    ("syllable", "책", r"책(?!임)|\bbook"),
    ("syllable", "큐", r"큐(?!레|브|티)|\bqueue"),
    ("syllable", "락", r"(?<![가-힣])락|\block\b|\blocking"),
    ("syllable", "봇", r"봇|\bbots?\b"),
    ("syllable", "힙", r"힙|\bheap"),
    ("two-syllable", "배포", r"배포|deploy"),
    ("two-syllable", "검색", r"검색|\bsearch|elasticsearch"),
    ("two-syllable", "장애", r"장애|incident|outage"),
    ("two-syllable", "회고", r"회고|retrospect"),
    ("two-syllable", "특허", r"특허|patent"),
    ("two-syllable", "커널", r"커널|kernel"),
    ("two-syllable", "설계", r"설계|\bdesign"),
    ("two-syllable", "성능", r"성능|performance"),
    ("two-syllable", "정렬", r"정렬|\bsort"),
    ("two-syllable", "토큰", r"토큰|\btoken"),
    ("two-syllable", "번역", r"번역|translat"),
    ("two-syllable", "보안", r"보안|security"),
    ("two-syllable", "캐시", r"캐시|캐싱|\bcach"),
    ("two-syllable", "게임", r"게임|\bgame|언리얼|unreal"),
    ("two-syllable", "버그", r"버그|\bbug|디버깅|debug"),
    ("two-syllable", "비용", r"비용|\bcost"),
    ("inflected", "쿠버네티스를", r"쿠버네티스|kubernetes|k8s"),
    ("inflected", "도커로", r"도커|docker"),
    ("inflected", "스프링에서", r"스프링|spring"),
    ("inflected", "에이전트를", r"에이전트|agent"),
    ("inflected", "프롬프트를", r"프롬프트|prompt"),
    ("inflected", "리눅스에서", r"리눅스|linux"),
    ("inflected", "알고리즘을", r"알고리즘|algorithm"),
    ("inflected", "최적화하기", r"최적화|optimi"),
    ("inflected", "배포하기", r"배포|deploy"),
    ("inflected", "테스트를", r"테스트|\btest"),
    ("compound", "객체지향", r"객체\s*지향|\boop\b|object.oriented"),
    ("compound", "코딩테스트", r"코딩\s*테스트|coding\s*test"),
    ("compound", "데이터베이스", r"데이터\s*베이스|database|\bdb\b|mysql|postgres|nosql|mongo"),
    ("compound", "운영체제", r"운영\s*체제|operating system"),
    ("compound", "추천시스템", r"추천\s*시스템|recommend"),
    ("compound", "클린코드", r"클린\s*코드|clean\s*code"),
    ("compound", "자료구조", r"자료\s*구조|data structure"),
    ("compound", "디자인패턴", r"디자인\s*패턴|design\s*pattern"),
    ("compound", "프론트엔드", r"프론트\s*엔드|프런트\s*엔드|front-?end"),
    ("english", "Claude Code", r"claude\s*code|클로드\s*코드"),
    ("english", "docker", r"docker|도커"),
    ("english", "kubernetes", r"kubernetes|k8s|쿠버네티스"),
    ("english", "mysql", r"mysql"),
    ("english", "typescript", r"typescript|타입스크립트|\bts\b"),
    ("english", "serverless", r"serverless|서버리스"),
    ("english", "graphql", r"graphql"),
    ("english", "jenkins", r"jenkins|젠킨스"),
    ("english", "nginx", r"nginx"),
    ("english", "elasticsearch", r"elasticsearch|엘라스틱\s*서치"),
    ("english", "flutter", r"flutter|플러터"),
    ("english", "RAG", r"\brag\b"),
    ("english", "MCP", r"\bmcp\b"),
    ("english", "deploying", r"deploy"),
    ("english", "testing", r"\btest"),
    ("mixed", "Go언어", r"\bgo\b|golang|고\s*언어|go\s*언어|go언어"),
    ("mixed", "k8s", r"k8s|kubernetes|쿠버네티스"),
    ("mixed", "ES6", r"\bes6\b|ecmascript|es2015"),
    ("mixed", "Node.js", r"node|노드"),
    ("mixed", "C++", r"c\+\+"),
    ("mixed", "Spring Boot", r"spring\s*boot|springboot|스프링\s*부트"),
    ("mixed", "AWS Lambda", r"lambda|람다"),
    ("mixed", "CI/CD", r"ci/cd|\bci\b|jenkins|github actions|배포\s*자동화"),
    ("mixed", "JPA", r"\bjpa\b|hibernate|querydsl"),
    ("mixed", "M1 맥북", r"\bm1\b|맥북|macbook|macos"),
    ("company", "카카오스타일", "source:kr-kakaostyle-devblog.xml,kr-kakaostyle-devblog-2nd.xml"),
    ("company", "줌인터넷", "source:kr-zum-techblog.xml"),
    ("company", "ZUM", "source:kr-zum-techblog.xml"),
    ("company", "수아랩", "source:kr-cognex-sualab.xml"),
    ("company", "Cognex", "source:kr-cognex-sualab.xml"),
    ("company", "유어슈", "source:kr-yourssu-blog.xml"),
]


def corpus():
    files = sorted(f for f in glob.glob(f"{CORPUS}/kr-*") if not f.endswith(".json"))
    out = subprocess.run(["target/debug/moa", "parse", *files], capture_output=True, text=True, check=True)
    seen, posts = set(), []
    for path, line in zip(files, out.stdout.splitlines()):
        for e in json.loads(line)["entries"]:
            key = e.get("link") or e["id"]
            if key in seen:
                continue
            seen.add(key)
            posts.append((os.path.basename(path), key, e["title"] + " " + " ".join(e.get("categories") or [])))
    return posts


def main():
    posts = corpus()
    rows = []
    for kind, query, rule in QUERIES:
        if rule.startswith("source:"):
            files = rule[len("source:"):].split(",")
            relevant = [key for f, key, _ in posts if f in files]
        else:
            relevant = [key for _, key, about in posts if re.search(rule, about, re.I)]
        if not relevant:
            sys.exit(f"{query}: no post matches {rule}")
        rows.append("\t".join([kind, query, rule, " ".join(relevant)]))
    with open("testdata/search/queries.tsv", "w") as f:
        f.write("# kind\tquery\trule\trelevant post URLs (written by label.py; see there)\n")
        f.write("\n".join(rows) + "\n")
    print(f"{len(rows)} queries over {len(posts)} posts")
    for r in rows:
        k, q, _, rel = r.split("\t")
        print(f"{k:13} {q:14} {len(rel.split())}")


if __name__ == "__main__":
    main()

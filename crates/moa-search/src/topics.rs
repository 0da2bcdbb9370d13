//! Topic tags: a rule-based tagger over a dictionary of technology terms in Korean and English. Feeds'
//! own categories are free-form ("개발", "Uncategorized", "TIL"); topics are a small fixed set a reader can
//! browse and filter by. A term in the title or the categories counts more than one in the body.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A topic a reader can browse and filter by.
pub struct Topic {
    /// Its name in addresses and filters (`/topic/backend`).
    pub slug: &'static str,
    /// Its Korean name.
    pub ko: &'static str,
    /// Its English name.
    pub en: &'static str,
    /// Korean terms match inside words (particles attach to them: "쿠버네티스에서"); Latin ones only as
    /// whole words, case-insensitively, with an optional plural "s".
    terms: &'static [&'static str],
}

/// Every topic, in the order pages list them.
pub const TOPICS: &[Topic] = &[
    Topic {
        slug: "backend",
        ko: "백엔드",
        en: "Backend",
        terms: &[
            "백엔드",
            "backend",
            "back-end",
            "서버 개발",
            "spring",
            "스프링",
            "jpa",
            "django",
            "fastapi",
            "nestjs",
            "api 서버",
            "api server",
            "grpc",
            "graphql",
            "rest api",
            "마이크로서비스",
            "microservice",
            "msa",
            "트랜잭션",
            "transaction",
            "동시성",
            "concurrency",
            "jvm",
            "코루틴",
            "coroutine",
        ],
    },
    Topic {
        slug: "frontend",
        ko: "프론트엔드",
        en: "Frontend",
        terms: &[
            "프론트엔드",
            "프런트엔드",
            "frontend",
            "front-end",
            "react",
            "리액트",
            "vue",
            "next.js",
            "nextjs",
            "javascript",
            "자바스크립트",
            "typescript",
            "타입스크립트",
            "css",
            "html",
            "webpack",
            "웹팩",
            "vite",
            "브라우저",
            "browser",
            "svelte",
            "angular",
            "웹 접근성",
            "accessibility",
            "dom",
        ],
    },
    Topic {
        slug: "mobile",
        ko: "모바일",
        en: "Mobile",
        terms: &[
            "모바일",
            "mobile",
            "android",
            "안드로이드",
            "ios",
            "swift",
            "스위프트",
            "swiftui",
            "flutter",
            "플러터",
            "react native",
            "jetpack compose",
            "앱 개발",
            "xcode",
            "objective-c",
        ],
    },
    Topic {
        slug: "infra",
        ko: "인프라",
        en: "Infrastructure",
        terms: &[
            "인프라",
            "infrastructure",
            "infra",
            "kubernetes",
            "쿠버네티스",
            "k8s",
            "docker",
            "도커",
            "컨테이너",
            "container",
            "aws",
            "gcp",
            "azure",
            "terraform",
            "클라우드",
            "cloud",
            "네트워크",
            "network",
            "linux",
            "리눅스",
            "nginx",
            "서버리스",
            "serverless",
            "로드밸런서",
            "load balancer",
            "ec2",
            "helm",
        ],
    },
    Topic {
        slug: "devops",
        ko: "DevOps·운영",
        en: "DevOps & Operations",
        terms: &[
            "devops",
            "데브옵스",
            "ci/cd",
            "cicd",
            "배포",
            "deployment",
            "jenkins",
            "github actions",
            "모니터링",
            "monitoring",
            "observability",
            "관측",
            "장애",
            "incident",
            "sre",
            "argocd",
            "gitops",
            "로깅",
            "logging",
            "prometheus",
            "grafana",
            "온콜",
            "on-call",
        ],
    },
    Topic {
        slug: "data",
        ko: "데이터",
        en: "Data",
        terms: &[
            "데이터 엔지니어",
            "data engineer",
            "데이터 파이프라인",
            "data pipeline",
            "kafka",
            "카프카",
            "spark",
            "스파크",
            "hadoop",
            "하둡",
            "airflow",
            "etl",
            "데이터 분석",
            "data analysis",
            "analytics",
            "bigquery",
            "데이터 웨어하우스",
            "data warehouse",
            "flink",
            "데이터 플랫폼",
            "data platform",
            "로그 수집",
            "a/b 테스트",
            "a/b test",
        ],
    },
    Topic {
        slug: "database",
        ko: "데이터베이스",
        en: "Databases",
        terms: &[
            "데이터베이스",
            "database",
            "mysql",
            "postgresql",
            "postgres",
            "redis",
            "레디스",
            "mongodb",
            "몽고디비",
            "sql",
            "쿼리",
            "인덱스",
            "elasticsearch",
            "엘라스틱서치",
            "dynamodb",
            "오라클",
            "oracle",
            "샤딩",
            "sharding",
            "replication",
            "레플리케이션",
            "rdb",
            "nosql",
            "orm",
        ],
    },
    Topic {
        slug: "ai-ml",
        ko: "AI·ML",
        en: "AI & ML",
        terms: &[
            "머신러닝",
            "머신 러닝",
            "machine learning",
            "딥러닝",
            "딥 러닝",
            "deep learning",
            "인공지능",
            "ai",
            "llm",
            "gpt",
            "chatgpt",
            "신경망",
            "neural network",
            "pytorch",
            "tensorflow",
            "텐서플로",
            "추천 시스템",
            "recommendation",
            "nlp",
            "자연어",
            "컴퓨터 비전",
            "computer vision",
            "생성형",
            "generative",
            "rag",
            "transformer",
            "트랜스포머",
            "cnn",
            "강화학습",
            "mlops",
            "프롬프트",
            "prompt",
        ],
    },
    Topic {
        slug: "security",
        ko: "보안",
        en: "Security",
        terms: &[
            "보안",
            "security",
            "취약점",
            "vulnerability",
            "oauth",
            "암호화",
            "encryption",
            "해킹",
            "hacking",
            "xss",
            "csrf",
            "jwt",
            "인증서",
            "certificate",
            "tls",
            "ssl",
            "개인정보",
            "privacy",
            "방화벽",
            "firewall",
        ],
    },
    Topic {
        slug: "architecture",
        ko: "아키텍처·설계",
        en: "Architecture & Design",
        terms: &[
            "아키텍처",
            "architecture",
            "시스템 설계",
            "system design",
            "api 설계",
            "소프트웨어 설계",
            "설계 원칙",
            "디자인 패턴",
            "design pattern",
            "ddd",
            "도메인 주도",
            "domain-driven",
            "클린 아키텍처",
            "clean architecture",
            "헥사고날",
            "hexagonal",
            "이벤트 드리븐",
            "event-driven",
            "이벤트 소싱",
            "event sourcing",
            "리팩터링",
            "리팩토링",
            "refactoring",
            "객체지향",
            "객체 지향",
            "object-oriented",
            "의존성 주입",
            "dependency injection",
        ],
    },
    Topic {
        slug: "testing",
        ko: "테스트·품질",
        en: "Testing & Quality",
        terms: &[
            "테스트",
            "test",
            "testing",
            "tdd",
            "단위 테스트",
            "unit test",
            "qa",
            "e2e",
            "테스트 코드",
            "코드 리뷰",
            "code review",
            "정적 분석",
            "lint",
            "린트",
            "junit",
            "jest",
            "mock",
            "목 객체",
        ],
    },
    Topic {
        slug: "performance",
        ko: "성능",
        en: "Performance",
        terms: &[
            "성능",
            "performance",
            "최적화",
            "optimization",
            "캐시",
            "cache",
            "caching",
            "캐싱",
            "지연 시간",
            "latency",
            "처리량",
            "throughput",
            "부하 테스트",
            "load test",
            "튜닝",
            "tuning",
            "메모리 누수",
            "memory leak",
            "프로파일링",
            "profiling",
            "벤치마크",
            "benchmark",
        ],
    },
    Topic {
        slug: "culture",
        ko: "조직문화·커리어",
        en: "Culture & Career",
        terms: &[
            "조직문화",
            "조직 문화",
            "organizational culture",
            "회고",
            "retrospective",
            "온보딩",
            "onboarding",
            "채용",
            "hiring",
            "면접",
            "interview",
            "리더십",
            "leadership",
            "협업",
            "커리어",
            "career",
            "개발 문화",
            "팀 문화",
            "멘토링",
            "mentoring",
            "컨퍼런스",
            "conference",
            "이직",
            "코딩 테스트",
            "코딩테스트",
            "신입",
            "주니어",
            "junior",
            "시니어",
            "senior",
        ],
    },
    Topic {
        slug: "design",
        ko: "디자인·UX",
        en: "Design & UX",
        terms: &[
            "디자인 시스템",
            "design system",
            "ux",
            "ui/ux",
            "사용자 경험",
            "user experience",
            "figma",
            "피그마",
            "프로덕트 디자인",
            "product design",
            "사용성",
            "usability",
            "인터랙션",
            "interaction design",
        ],
    },
];

/// Bump when the dictionary or the rules change: the crawling process retags the stored posts once when it
/// starts (`moa::search::retag_after_upgrade`), and `moa index rebuild` retags them too.
pub const TAGGER_VERSION: u32 = 2;

/// The most topics one post gets.
pub const MAX_TOPICS: usize = 3;
/// A topic needs this score: one term in the title or the categories, or three mentions in the body.
const THRESHOLD: u32 = 3;
const TITLE_WEIGHT: u32 = 3;
/// The body read for topics; the opening of a post says what it is about.
const BODY_CHARS: usize = 6000;

struct Dictionary {
    matcher: AhoCorasick,
    /// For each pattern: its topic and whether it is matched as a whole Latin word.
    patterns: Vec<(usize, bool)>,
}

fn dictionary() -> &'static Dictionary {
    static DICTIONARY: OnceLock<Dictionary> = OnceLock::new();
    DICTIONARY.get_or_init(|| {
        let mut terms = Vec::new();
        let mut patterns = Vec::new();
        for (topic, t) in TOPICS.iter().enumerate() {
            for term in t.terms {
                terms.push(term.to_lowercase());
                patterns.push((topic, term.is_ascii()));
            }
        }
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&terms)
            .unwrap_or_else(|e| panic!("the topic dictionary is a fixed list of terms: {e}"));
        Dictionary { matcher, patterns }
    })
}

/// The topic named `slug`, if there is one.
pub fn topic(slug: &str) -> Option<&'static Topic> {
    TOPICS.iter().find(|t| t.slug == slug)
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Adds each term's weight to its topic's score.
fn score(text: &str, weight: u32, scores: &mut [u32]) {
    let d = dictionary();
    for m in d.matcher.find_iter(text) {
        let (topic, latin) = d.patterns[m.pattern().as_usize()];
        if latin {
            let before = text[..m.start()].chars().next_back();
            let mut after_chars = text[m.end()..].chars();
            let mut after = after_chars.next();
            if after == Some('s') || after == Some('S') {
                after = after_chars.next();
            }
            if is_word_char(before) || is_word_char(after) {
                continue;
            }
        }
        scores[topic] += weight;
    }
}

/// A post's topics from its title, categories and the prose of its text. Code is left out: a webpack
/// config's `test:` lines, or `Database database{}` in a C++ sample, say nothing of what the post is about.
pub fn tag_post(title: &str, categories: &[String], summary: Option<&str>, content_html: Option<&str>) -> Vec<String> {
    tag(title, categories, &crate::prose_text(summary, content_html, BODY_CHARS))
}

/// The topic slugs of a post, best first: at most three, each with enough evidence.
fn tag(title: &str, categories: &[String], body: &str) -> Vec<String> {
    let mut scores = vec![0u32; TOPICS.len()];
    score(title, TITLE_WEIGHT, &mut scores);
    for c in categories {
        score(c, TITLE_WEIGHT, &mut scores);
    }
    let body_end = body.char_indices().nth(BODY_CHARS).map_or(body.len(), |(i, _)| i);
    score(&body[..body_end], 1, &mut scores);
    let mut ranked: Vec<(usize, u32)> = scores.into_iter().enumerate().filter(|(_, s)| *s >= THRESHOLD).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().take(MAX_TOPICS).map(|(i, _)| TOPICS[i].slug.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(title: &str, body: &str) -> Vec<String> {
        tag(title, &[], body)
    }

    #[test]
    fn korean_terms_match_inside_inflected_words() {
        assert_eq!(tags("쿠버네티스에서 무중단 배포하기", ""), ["infra", "devops"]);
        assert_eq!(tags("안드로이드 앱의 메모리 누수 잡기", ""), ["mobile", "performance"]);
        assert_eq!(tags("2023년 회고", ""), ["culture"]);
    }

    #[test]
    fn a_study_series_or_a_collaboration_diagram_is_no_culture() {
        // Seen on real feeds: a category "자바 스터디" made a post on Java types a culture post, and a UML
        // collaboration diagram one too.
        let java = tag("[Java] 기본 자료형과 참조 자료형", &["Java".into(), "자바 스터디".into()], "");
        assert!(!java.contains(&"culture".to_string()), "{java:?}");
        let uml = tags("[UML 2.0] 컬레보레이션 다이어그램(Collaboration Diagram)", "");
        assert!(!uml.contains(&"culture".to_string()), "{uml:?}");
        assert_eq!(tags("팀 협업 방식을 바꾼 이야기", ""), ["culture"]);
        // A coding test is a hiring step, not software testing.
        assert_eq!(tags("코딩 테스트 출제 경향 및 준비 방향", ""), ["culture"]);
        assert_eq!(tags("테스트 코드 작성법", ""), ["testing"]);
    }

    #[test]
    fn latin_terms_match_whole_words_only() {
        assert_eq!(tags("React 18 migration", ""), ["frontend"]);
        assert_eq!(tags("Reactive streams", ""), Vec::<String>::new());
        // "ai" inside "maintain" or "said" is no evidence; "AI" as a word is.
        assert_eq!(tags("How we maintain said code", ""), Vec::<String>::new());
        assert_eq!(tags("사내 AI 도입기", ""), ["ai-ml"]);
        assert_eq!(tags("Unit tests that pay", ""), ["testing"]);
    }

    #[test]
    fn body_mentions_need_more_evidence_than_a_title() {
        assert!(tags("어느 날의 기록", "redis 이야기").is_empty());
        assert_eq!(tags("어느 날의 기록", "redis를 썼다. redis 클러스터. 다시 redis."), ["database"]);
        let categories = vec!["Kubernetes".to_string()];
        assert_eq!(tag("어느 날의 기록", &categories, ""), ["infra"]);
    }

    #[test]
    fn at_most_three_topics_best_first() {
        let t = tags("Spring, React, Kubernetes, Redis, Kafka 그리고 보안", "redis redis");
        assert_eq!(t.len(), 3);
        assert_eq!(t[0], "database");
    }

    #[test]
    fn every_topic_has_a_unique_slug_and_names() {
        for (i, t) in TOPICS.iter().enumerate() {
            assert!(!t.ko.is_empty() && !t.en.is_empty() && !t.terms.is_empty());
            assert!(TOPICS[i + 1..].iter().all(|o| o.slug != t.slug), "{}", t.slug);
            assert!(topic(t.slug).is_some());
        }
    }
}

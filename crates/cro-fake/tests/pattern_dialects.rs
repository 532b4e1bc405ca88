//! Every `pattern` in spec/openapi.yaml means the same in each regex dialect that reads it
//! (issue 14):
//!
//! - cro-fake's validator ([`cro_fake::validate::pattern_matches`], `regress`) and the
//!   generated client (typify's newtypes, also `regress`);
//! - ECMA 262 itself, as implemented by node's `RegExp` (what JSON Schema and OpenAPI name);
//! - Python's `re` as test generators read an ECMA pattern (schemathesis: closing `$` spelled
//!   `\Z`, `re.ASCII`), which is where the CreateHaulerRequestModel password pattern went
//!   wrong: its `.` matched `\r` in Python but not in ECMA.
//!
//! Each pattern runs on the same deterministic set of strings in every dialect: valid samples
//! from the docs, every single-character edit of them with characters on which dialects are
//! known to differ (line terminators, non-ASCII digits, astral characters, ...), and seeded
//! random strings. node and python3 are optional locally; CI sets `CRO_REQUIRE_NODE=1` and
//! `CRO_REQUIRE_PYTHON=1` so that a missing one fails instead of skipping.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Valid values from the docs' samples for the patterns in the spec.
const SAMPLES: &[&str] = &[
    "2022-08-20T01:10:52.307000",
    "2022-08-20T01:27:24.691708",
    "2019-02-07T00:12:19.354Z",
    "2049-10-31T11:32:38.390000",
    "2021-04-07T10:00:00+02:00",
    "2024-02-29",
    "2000-02-29T23:59",
    "SMSCORP+3",
    "This1s@Test!",
    "PassWorD100100",
    "VGhlIGxhenkgYnJvd24gZG9n",
    "sha1=0123456789abcdef0123456789abcdef01234567",
];

/// Characters on which regex dialects are known to disagree, plus ordinary ones.
const EDGES: &[char] = &[
    '\n',
    '\r',
    '\t',
    ' ',
    '\u{0}',
    '\u{b}',
    '\u{c}',
    '\u{85}',
    '\u{a0}',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{660}',
    '\u{ff11}',
    '\u{1d7d8}',
    'é',
    'İ',
    'K',
    '\u{212a}',
    'A',
    'z',
    '0',
    '9',
    '+',
    '-',
    ':',
    '.',
    'T',
    'Z',
    '/',
    '=',
    '_',
];

fn spec_patterns() -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(p)) = map.get("pattern")
                    && map.get("type").and_then(Value::as_str) == Some("string")
                    && !out.contains(p)
                {
                    out.push(p.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let spec: Value = serde_yaml::from_str(cro_fake::spec::SPEC_YAML).expect("the spec is YAML");
    let mut out = Vec::new();
    walk(&spec, &mut out);
    out
}

/// splitmix64: a tiny seeded generator, so every run tests the same strings.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn test_strings() -> Vec<String> {
    let mut out: Vec<String> = vec![String::new()];
    for sample in SAMPLES {
        let chars: Vec<char> = sample.chars().collect();
        out.push((*sample).to_owned());
        for i in 0..=chars.len() {
            if i < chars.len() {
                let mut deleted = chars.clone();
                deleted.remove(i);
                out.push(deleted.into_iter().collect());
            }
            for &c in EDGES {
                let mut inserted = chars.clone();
                inserted.insert(i, c);
                out.push(inserted.into_iter().collect());
                if i < chars.len() {
                    let mut replaced = chars.clone();
                    replaced[i] = c;
                    out.push(replaced.into_iter().collect());
                }
            }
        }
    }
    // Random strings over digits, letters and the edge characters.
    let alphabet: Vec<char> = ('0'..='9')
        .chain('a'..='f')
        .chain(EDGES.iter().copied())
        .collect();
    let mut rng = Rng(20_260_401);
    for _ in 0..3000 {
        let len = rng.below(40);
        out.push(
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect(),
        );
    }
    out.sort();
    out.dedup();
    out
}

/// Runs `program` with the JSON `{patterns, strings}` on stdin; it prints one string of `0`/`1`
/// per pattern. `None` when the program is not installed.
fn run_dialect(program: &str, args: &[&str], input: &str) -> Option<Vec<String>> {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("cannot start {program}: {e}"),
    };
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write to the dialect script");
    let output = child.wait_with_output().expect("the dialect script runs");
    assert!(output.status.success(), "{program} failed");
    let text = String::from_utf8(output.stdout).expect("0/1 output");
    Some(text.lines().map(str::to_owned).collect())
}

const NODE_SCRIPT: &str = r#"
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const { patterns, strings } = JSON.parse(input);
  for (const p of patterns) {
    const re = new RegExp(p);
    console.log(strings.map((s) => (re.test(s) ? "1" : "0")).join(""));
  }
});
"#;

const PYTHON_SCRIPT: &str = r#"
import json, re, sys
data = json.load(sys.stdin)
for p in data["patterns"]:
    # How schemathesis reads an ECMA pattern: a closing `$` is the end of the string.
    if p.endswith("$") and not p.endswith("\\$"):
        p = p[:-1] + "\\Z"
    r = re.compile(p, re.ASCII)
    print("".join("1" if r.search(s) else "0" for s in data["strings"]))
"#;

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

#[test]
fn every_spec_pattern_compiles_in_regress() {
    let patterns = spec_patterns();
    assert!(patterns.len() >= 5, "found only {patterns:?}");
    for p in &patterns {
        // pattern_matches treats a pattern that does not compile as matching everything.
        assert!(regress::Regex::new(p).is_ok(), "regress rejects {p}");
    }
}

#[test]
fn patterns_mean_the_same_in_every_dialect() {
    let patterns = spec_patterns();
    let strings = test_strings();
    let fake: Vec<String> = patterns
        .iter()
        .map(|p| {
            strings
                .iter()
                .map(|s| {
                    if cro_fake::validate::pattern_matches(p, s) {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect()
        })
        .collect();
    // Sanity: the generator reaches both sides of every pattern.
    for (p, bits) in patterns.iter().zip(&fake) {
        assert!(
            bits.contains('1') && bits.contains('0'),
            "the test strings do not exercise {p}"
        );
    }
    let input = serde_json::json!({"patterns": patterns, "strings": strings}).to_string();
    let dialects = [
        ("node", vec!["-e", NODE_SCRIPT], "CRO_REQUIRE_NODE"),
        ("python3", vec!["-c", PYTHON_SCRIPT], "CRO_REQUIRE_PYTHON"),
    ];
    for (program, args, require_var) in dialects {
        let Some(theirs) = run_dialect(program, &args, &input) else {
            assert!(
                !required(require_var),
                "{require_var}=1 but {program} is not installed"
            );
            eprintln!("skipping the {program} dialect: {program} is not installed");
            continue;
        };
        assert_eq!(
            theirs.len(),
            patterns.len(),
            "{program} answered per pattern"
        );
        for ((p, ours), theirs) in patterns.iter().zip(&fake).zip(&theirs) {
            let disagreements: Vec<String> = strings
                .iter()
                .zip(ours.chars().zip(theirs.chars()))
                .filter(|(_, (a, b))| a != b)
                .map(|(s, (a, _))| format!("{s:?} (regress: {})", a == '1'))
                .take(5)
                .collect();
            assert!(
                disagreements.is_empty(),
                "pattern {p} reads differently in regress and {program}: {}",
                disagreements.join(", ")
            );
        }
    }
}

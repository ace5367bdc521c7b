#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]
use custodia::insights::persona::{PersonaData, PersonaParams};
const CUSTOMERS: usize = 1_000_000;
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn noise(&mut self) -> f64 {
        let s: f64 = (0..4)
            .map(|_| (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
            .sum();
        (s - 2.0) * 1.732
    }
}
include!("/tmp/pp/pop.rs");
fn main() {
    let data = population();
    for r in [1usize, 3] {
        let t = std::time::Instant::now();
        let rep = PersonaParams::default()
            .k(4)
            .restarts(r)
            .fit(&data)
            .unwrap();
        println!(
            "restarts {r}: {:?} iters {} cap {} sil {:?}",
            t.elapsed(),
            rep.iterations(),
            rep.hit_iteration_cap(),
            rep.silhouette()
        );
    }
    let t = std::time::Instant::now();
    let rep = PersonaParams::default().fit(&data).unwrap();
    println!(
        "range: {:?} k {} iters {} cap {}",
        t.elapsed(),
        rep.k(),
        rep.iterations(),
        rep.hit_iteration_cap()
    );
    for s in rep.k_scores() {
        println!("  k {} {:?}", s.k(), s.silhouette());
    }
    for p in rep.personas() {
        println!("  {} {} {}", p.id(), p.size(), p.label());
    }
    let t = std::time::Instant::now();
    let a = rep.model().assign(&data).unwrap();
    println!(
        "assign {:?} same {}",
        t.elapsed(),
        a.personas() == rep.assignments()
    );
}

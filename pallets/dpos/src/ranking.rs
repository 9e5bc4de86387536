//! The election's arithmetic, shared by the multi-block collection and the one-shot election
//! (genesis, and the reference the tests compare against).
//!
//! ```text
//! for every candidate c with own bond Vb(c) ≥ B_Min:
//!     Vt(c) = Vb(c) + Σ_lenders Lb        (a lender backing k candidates lends each 1/k)
//!     St(c) = CandidateVotes[c]
//!     Wt(c) = St(c) · Vt(c)  or  Vt(c) if St(c) = 0
//! winners = top desired by (Wt desc, account asc)
//! support(c) = [(c, Vb)] + its largest lenders, at most MaxBackersPerWinner entries in all
//! ```

use crate::{election_weight, ElectionVoter, Ranked};
use alloc::{collections::btree_map::BTreeMap, vec::Vec};

/// Splits `weight` over `n` targets: equal shares, the remainder one each to the first ones.
pub fn shares(weight: u128, n: usize) -> impl Iterator<Item = u128> {
	let n = n.max(1) as u128;
	let share = weight / n;
	let rest = weight % n;
	(0..n).map(move |i| share + u128::from(i < rest))
}

/// Inserts `entry` into `leaders` (kept best first) if it is among the top `desired`.
pub fn insert_leader<A: Ord + Clone>(
	leaders: &mut Vec<Ranked<A>>,
	entry: Ranked<A>,
	desired: usize,
) {
	if desired == 0 {
		return;
	}
	if leaders.len() >= desired {
		match leaders.last() {
			Some(last) if entry.ranks_before(last) => {
				leaders.pop();
			},
			_ => return,
		}
	}
	let at = leaders.partition_point(|l| l.ranks_before(&entry));
	leaders.insert(at, entry);
}

/// Whether lender `a` comes before `b` in a support: larger amount first, then lower account.
fn lends_before<A: Ord>(a: &(A, u128), b: &(A, u128)) -> bool {
	a.1 > b.1 || (a.1 == b.1 && a.0 < b.0)
}

/// Inserts a lender into `list` (kept largest first) if it is among the top `cap`.
pub fn insert_lender<A: Ord>(list: &mut Vec<(A, u128)>, lender: (A, u128), cap: usize) {
	if cap == 0 {
		return;
	}
	if list.len() >= cap {
		match list.last() {
			Some(last) if lends_before(&lender, last) => {
				list.pop();
			},
			_ => return,
		}
	}
	let at = list.partition_point(|l| lends_before(l, &lender));
	list.insert(at, lender);
}

/// A winner's support: its own bond first, then its lenders; `total` sums what is listed.
pub fn support<A: Clone>(who: &A, own: u128, lenders: &[(A, u128)]) -> (u128, Vec<(A, u128)>) {
	let mut voters = Vec::with_capacity(lenders.len() + 1);
	voters.push((who.clone(), own));
	voters.extend(lenders.iter().cloned());
	let total = voters.iter().fold(0u128, |acc, (_, x)| acc.saturating_add(*x));
	(total, voters)
}

/// The winners of a one-shot election and their supports `(who, total, backers)`.
pub type Outcome<A> = Vec<(A, u128, Vec<(A, u128)>)>;

/// The whole election in one go over `candidates` (own bonds) and `lenders`: the reference
/// the multi-block election must agree with.
///
/// `votes` gives `St` of a candidate; `max_backers` bounds a support (own bond included).
pub fn one_shot<A: Ord + Clone>(
	candidates: &[(A, u128)],
	lenders: &[ElectionVoter<A>],
	votes: impl Fn(&A) -> u128,
	min_bond: u128,
	desired: usize,
	max_backers: usize,
) -> (Vec<Ranked<A>>, Outcome<A>) {
	let mut own: BTreeMap<A, u128> = BTreeMap::new();
	for (c, bond) in candidates {
		own.insert(c.clone(), *bond);
	}
	let mut lent: BTreeMap<A, Vec<(A, u128)>> = BTreeMap::new();
	for (lender, weight, targets) in lenders {
		for (target, amount) in targets.iter().zip(shares(u128::from(*weight), targets.len())) {
			if own.contains_key(target) {
				lent.entry(target.clone()).or_default().push((lender.clone(), amount));
			}
		}
	}
	let mut ranked: Vec<Ranked<A>> = own
		.iter()
		.filter(|(_, bond)| **bond >= min_bond && **bond > 0)
		.map(|(who, bond)| {
			let total = lent
				.get(who)
				.map(|l| l.iter().fold(*bond, |acc, (_, x)| acc.saturating_add(*x)))
				.unwrap_or(*bond);
			let st = votes(who);
			Ranked {
				who: who.clone(),
				own: *bond,
				total,
				votes: st,
				weight: election_weight(st, total),
			}
		})
		.collect();
	ranked.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.who.cmp(&b.who)));
	let cap = max_backers.saturating_sub(1);
	let outcome = ranked
		.iter()
		.take(desired)
		.map(|w| {
			let mut list = Vec::new();
			for l in lent.remove(&w.who).unwrap_or_default() {
				insert_lender(&mut list, l, cap);
			}
			let (total, voters) = support(&w.who, w.own, &list);
			(w.who.clone(), total, voters)
		})
		.collect();
	(ranked, outcome)
}

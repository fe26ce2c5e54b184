//! Average-link agglomeration over a sparse similarity graph: two groups
//! merge while the mean similarity over all their cross pairs, unlisted
//! pairs counting 0, is the highest left and at least the threshold. Unlike
//! joining every similar pair (single link), a group cannot grow by a chain
//! of look-alikes: a report about Nvidia's funding and one about Tesla's
//! results never meet through a third that shares a name with each.

use std::collections::{BinaryHeap, HashMap};

/// Merges `groups` (each a list of items) along `pairs` (`(i, j, similarity)`
/// over items, any order, each pair once) and returns the merged groups,
/// each sorted, in order of their first item.
pub fn merge(
    groups: Vec<Vec<usize>>,
    pairs: &[(u32, u32, f32)],
    threshold: f64,
) -> Vec<Vec<usize>> {
    let items = groups.iter().map(Vec::len).sum::<usize>();
    let mut group_of = vec![usize::MAX; items];
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            group_of[i] = g;
        }
    }
    let mut size: Vec<f64> = groups.iter().map(|g| g.len() as f64).collect();
    let mut members = groups;
    // Summed similarity between groups, kept in both directions.
    let mut sums: Vec<HashMap<usize, f64>> = vec![HashMap::new(); members.len()];
    for &(i, j, s) in pairs {
        let (a, b) = (group_of[i as usize], group_of[j as usize]);
        let s = f64::from(s);
        if a != b && s > 0.0 {
            *sums[a].entry(b).or_default() += s;
            *sums[b].entry(a).or_default() += s;
        }
    }
    let mut version = vec![0u32; members.len()];
    let mut alive = vec![true; members.len()];
    let mut heap = BinaryHeap::new();
    // A pair under the threshold is not queued: its mean can rise only when
    // one side merges, and then it is queued afresh.
    for (a, row) in sums.iter().enumerate() {
        for (&b, &s) in row {
            let mean = s / (size[a] * size[b]);
            if a < b && mean >= threshold {
                heap.push(Candidate::new(mean, a, b, 0, 0));
            }
        }
    }
    // Every queued entry's mean is at least the pair's mean now: a merge
    // lowers the means of the kept group's other neighbours (it grew, their
    // sums did not), so those entries are re-read when they come up rather
    // than re-queued at every merge.
    while let Some(c) = heap.pop() {
        if c.mean < threshold {
            break;
        }
        let (a, b) = (c.a, c.b);
        if !alive[a] || !alive[b] {
            continue;
        }
        if version[a] != c.version_a || version[b] != c.version_b {
            let mean = sums[a].get(&b).map_or(0.0, |s| s / (size[a] * size[b]));
            if mean >= threshold {
                heap.push(Candidate::new(mean, a, b, version[a], version[b]));
            }
            continue;
        }
        // The group with more neighbours absorbs the other.
        let (keep, gone) = if sums[a].len() >= sums[b].len() {
            (a, b)
        } else {
            (b, a)
        };
        alive[gone] = false;
        let moved = std::mem::take(&mut members[gone]);
        members[keep].extend(moved);
        size[keep] += size[gone];
        version[keep] += 1;
        let gone_row = std::mem::take(&mut sums[gone]);
        sums[keep].remove(&gone);
        for (n, s) in gone_row {
            if n == keep {
                continue;
            }
            let total = {
                let t = sums[keep].entry(n).or_default();
                *t += s;
                *t
            };
            let row = &mut sums[n];
            row.remove(&gone);
            *row.entry(keep).or_default() += s;
            // Its sum rose: queue it at its new mean.
            let mean = total / (size[keep] * size[n]);
            if mean >= threshold {
                let (x, y) = if keep < n { (keep, n) } else { (n, keep) };
                heap.push(Candidate::new(mean, x, y, version[x], version[y]));
            }
        }
    }
    let mut out: Vec<Vec<usize>> = members
        .into_iter()
        .zip(alive)
        .filter(|(_, a)| *a)
        .map(|(mut m, _)| {
            m.sort_unstable();
            m
        })
        .collect();
    out.sort_unstable_by_key(|m| m[0]);
    out
}

/// A possible merge; the heap pops the highest mean first, ties by the
/// lowest groups, so the result does not depend on hashing order.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    mean: f64,
    a: usize,
    b: usize,
    version_a: u32,
    version_b: u32,
}

impl Candidate {
    fn new(mean: f64, a: usize, b: usize, version_a: u32, version_b: u32) -> Self {
        Self {
            mean,
            a,
            b,
            version_a,
            version_b,
        }
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.mean
            .total_cmp(&other.mean)
            .then_with(|| other.a.cmp(&self.a))
            .then_with(|| other.b.cmp(&self.b))
            .then_with(|| self.version_a.cmp(&other.version_a))
            .then_with(|| self.version_b.cmp(&other.version_b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn singles(n: usize) -> Vec<Vec<usize>> {
        (0..n).map(|i| vec![i]).collect()
    }

    /// Every group pair's mean over all cross pairs, recomputed each round.
    fn merge_by_recomputing(
        n: usize,
        pairs: &[(u32, u32, f32)],
        threshold: f64,
    ) -> Vec<Vec<usize>> {
        let sim = |i: usize, j: usize| {
            let (i, j) = (i as u32, j as u32);
            pairs
                .iter()
                .find(|&&(a, b, _)| (a, b) == (i, j) || (a, b) == (j, i))
                .map_or(0.0, |p| f64::from(p.2))
        };
        let mut groups = singles(n);
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for x in 0..groups.len() {
                for y in x + 1..groups.len() {
                    let total: f64 = groups[x]
                        .iter()
                        .flat_map(|&i| groups[y].iter().map(move |&j| (i, j)))
                        .map(|(i, j)| sim(i, j))
                        .sum();
                    let mean = total / (groups[x].len() * groups[y].len()) as f64;
                    if best.is_none_or(|b| mean > b.0) {
                        best = Some((mean, x, y));
                    }
                }
            }
            match best {
                Some((mean, x, y)) if mean >= threshold => {
                    let moved = groups.remove(y);
                    groups[x].extend(moved);
                    groups[x].sort_unstable();
                }
                _ => break,
            }
        }
        groups.sort_unstable_by_key(|g| g[0]);
        groups
    }

    #[test]
    fn a_chain_of_look_alikes_does_not_make_one_group() {
        // 0–1 and 2–3 are close; 1–2 share a name, and only that.
        let pairs = [(0, 1, 0.8), (2, 3, 0.8), (1, 2, 0.3)];
        assert_eq!(merge(singles(4), &pairs, 0.2), vec![vec![0, 1], vec![2, 3]]);
        // Single link would have made one group at this threshold.
        assert_eq!(merge(singles(4), &pairs, 0.9), singles(4));
    }

    #[test]
    fn groups_given_up_front_stay_together() {
        let pairs = [(1, 2, 0.9)];
        assert_eq!(
            merge(vec![vec![0, 3], vec![1], vec![2]], &pairs, 0.5),
            vec![vec![0, 3], vec![1, 2]]
        );
    }

    #[test]
    fn sparse_sums_agree_with_recomputing_every_mean() {
        let mut next = crate::cluster::sequence(11);
        for round in 0..20 {
            let n = 6 + round % 7;
            let mut pairs: Vec<(u32, u32, f32)> = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    if next(3) == 0 {
                        // Distinct values, so the order of merges is unambiguous.
                        let s = 0.2 + next(1000) as f32 / 1250.0 + (i * n + j) as f32 * 1e-4;
                        pairs.push((i as u32, j as u32, s));
                    }
                }
            }
            assert_eq!(
                merge(singles(n), &pairs, 0.25),
                merge_by_recomputing(n, &pairs, 0.25),
                "{pairs:?}"
            );
        }
    }
}

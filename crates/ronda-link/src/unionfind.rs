//! Actors as connected components of links: union-find over account indexes with stable actor
//! ids and a merge log.
//!
//! Actor ids are handed out in increasing order (1, 2, 3, …) when an account links to no
//! existing actor. An account that links to one actor joins it; one that links to several
//! merges them: the **oldest (smallest) id survives** and every absorbed id is logged as a
//! [`Merge`]. An id, once absorbed, never reappears. So ids are stable under incremental
//! updates: accounts added later never change an existing actor's id except by merging it into
//! an older one.

/// One merge: `absorbed` became part of `survivor` when account `by_account` was linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub survivor: u64,
    pub absorbed: u64,
    pub by_account: u32,
}

const PENDING: u64 = u64::MAX;

/// Union-find with union by size and path halving.
#[derive(Debug, Clone, Default)]
pub struct Actors {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Actor id of each root (`PENDING` for a new account not yet given one).
    actor: Vec<u64>,
    next_actor: u64,
    merges: Vec<Merge>,
}

/// What a union did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Union {
    /// The root of the joined set.
    pub root: u32,
    /// The other former root (now a child of `root`), or `None` when already joined.
    pub absorbed_root: Option<u32>,
}

impl Actors {
    /// No accounts.
    pub fn new() -> Actors {
        Actors {
            next_actor: 1,
            ..Actors::default()
        }
    }

    /// Adds the next account (index = count so far) in a set of its own, without an actor id
    /// yet: link it with [`Actors::union`], then call [`Actors::settle`].
    pub fn push(&mut self) -> u32 {
        let i = self.parent.len() as u32;
        self.parent.push(i);
        self.size.push(1);
        self.actor.push(PENDING);
        i
    }

    /// Gives `account`'s set a new actor id if it has none (it linked to nothing).
    pub fn settle(&mut self, account: u32) -> u64 {
        let r = self.find(account) as usize;
        if self.actor[r] == PENDING {
            self.actor[r] = self.next_actor;
            self.next_actor += 1;
        }
        self.actor[r]
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root of `account`'s set (path halving).
    pub fn find(&mut self, mut account: u32) -> u32 {
        while self.parent[account as usize] != account {
            let p = self.parent[account as usize];
            let gp = self.parent[p as usize];
            self.parent[account as usize] = gp;
            account = gp;
        }
        account
    }

    /// The root without compressing paths (for shared borrows).
    pub fn root(&self, mut account: u32) -> u32 {
        while self.parent[account as usize] != account {
            account = self.parent[account as usize];
        }
        account
    }

    /// The actor id of `account` (`None` before [`Actors::settle`] for a fresh account).
    pub fn actor(&self, account: u32) -> Option<u64> {
        let id = self.actor[self.root(account) as usize];
        (id != PENDING).then_some(id)
    }

    /// Size of `account`'s actor.
    pub fn size(&self, account: u32) -> u32 {
        self.size[self.root(account) as usize]
    }

    /// Joins the sets of `a` and `b` (the link was made while adding `by_account`). The
    /// smaller actor id survives; joining two actors with ids logs a [`Merge`].
    pub fn union(&mut self, a: u32, b: u32, by_account: u32) -> Union {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Union {
                root: ra,
                absorbed_root: None,
            };
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let (ia, ib) = (self.actor[big as usize], self.actor[small as usize]);
        let survivor = ia.min(ib);
        if ia != PENDING && ib != PENDING {
            self.merges.push(Merge {
                survivor,
                absorbed: ia.max(ib),
                by_account,
            });
        }
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        self.actor[big as usize] = survivor;
        Union {
            root: big,
            absorbed_root: Some(small),
        }
    }

    /// Every merge so far, in order.
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_the_older_survives_a_merge() {
        let mut u = Actors::new();
        let a = u.push();
        assert_eq!(u.actor(a), None);
        assert_eq!(u.settle(a), 1);
        let b = u.push();
        assert_eq!(u.settle(b), 2);
        // c joins b's actor: no new id, no merge.
        let c = u.push();
        u.union(c, b, c);
        assert_eq!(u.settle(c), 2);
        assert!(u.merges().is_empty());
        // Grow actor 2 so that it is the bigger set, then d links it to actor 1.
        let d = u.push();
        u.union(d, c, d);
        u.union(d, a, d);
        assert_eq!(
            u.settle(d),
            1,
            "the older id survives even from the smaller set"
        );
        for x in [a, b, c, d] {
            assert_eq!(u.actor(x), Some(1));
        }
        assert_eq!(
            u.merges(),
            &[Merge {
                survivor: 1,
                absorbed: 2,
                by_account: d
            }]
        );
        // The absorbed id is never handed out again.
        let e = u.push();
        assert_eq!(u.settle(e), 3);
        assert_eq!(u.size(a), 4);
    }
}

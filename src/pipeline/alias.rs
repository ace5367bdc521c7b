//! Which live person each issued person id resolves to.

use std::collections::HashMap;

use super::PersonId;

/// Person ids in sets, one set per live person (the person and every id
/// merged into it) or per erased person: a union-find by size, so a lookup
/// follows at most log₂(issued ids) links and a merge costs one link.
#[derive(Clone, Debug, Default)]
pub(super) struct Aliases {
    /// The parent of each id that is not the root of its set.
    parent: HashMap<PersonId, PersonId>,
    /// The size of each root's set.
    size: HashMap<PersonId, usize>,
    /// The live person of each root's set; `None` once it is erased.
    label: HashMap<PersonId, Option<PersonId>>,
    /// The root of each live person's set.
    root: HashMap<PersonId, PersonId>,
}

impl Aliases {
    /// Adds a new live person, alone in its set.
    pub(super) fn issue(&mut self, person: PersonId) {
        self.size.insert(person, 1);
        self.label.insert(person, Some(person));
        self.root.insert(person, person);
    }

    fn find(&self, mut id: PersonId) -> PersonId {
        while let Some(p) = self.parent.get(&id) {
            id = *p;
        }
        id
    }

    /// Returns the live person `id` resolves to, or `None` for an id never
    /// issued or erased.
    pub(super) fn resolve(&self, id: PersonId) -> Option<PersonId> {
        if !self.size.contains_key(&id) && !self.parent.contains_key(&id) {
            return None;
        }
        self.label.get(&self.find(id)).copied().flatten()
    }

    /// Merges live person `absorbed`'s set into live person `survivor`'s.
    pub(super) fn merge(&mut self, absorbed: PersonId, survivor: PersonId) {
        let (Some(a), Some(s)) = (
            self.root.remove(&absorbed),
            self.root.get(&survivor).copied(),
        ) else {
            return;
        };
        let (na, ns) = (self.size[&a], self.size[&s]);
        let (big, small) = if na > ns { (a, s) } else { (s, a) };
        self.parent.insert(small, big);
        self.size.remove(&small);
        self.size.insert(big, na + ns);
        self.label.remove(&small);
        self.label.insert(big, Some(survivor));
        self.root.insert(survivor, big);
    }

    /// Marks live person `person` erased, with every id merged into it.
    pub(super) fn erase(&mut self, person: PersonId) {
        if let Some(r) = self.root.remove(&person) {
            self.label.insert(r, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_ids_resolve_to_the_survivor_through_any_chain() {
        let mut a = Aliases::default();
        let ids: Vec<PersonId> = (1..=6).map(PersonId).collect();
        for id in &ids {
            a.issue(*id);
        }
        // A large set absorbed by a small, older one: the label follows.
        a.merge(ids[5], ids[4]);
        a.merge(ids[4], ids[3]);
        a.merge(ids[3], ids[0]);
        for id in [ids[0], ids[3], ids[4], ids[5]] {
            assert_eq!(a.resolve(id), Some(ids[0]));
        }
        assert_eq!(a.resolve(ids[1]), Some(ids[1]));
        assert_eq!(a.resolve(PersonId(99)), None);
        a.erase(ids[0]);
        for id in [ids[0], ids[3], ids[4], ids[5]] {
            assert_eq!(a.resolve(id), None);
        }
        assert_eq!(a.resolve(ids[2]), Some(ids[2]));
    }
}

//! Console users on both backends: created with a chosen or a generated password (Argon2id,
//! never stored or audited in clear), bound to a platform or a police unit as their role asks,
//! listed, disabled (a disabled user verifies nothing), their password reset; every change
//! audited under the person who made it.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::model::Role;
use ronda_store::on_both_backends;
use ronda_store::users::{Lockout, NewUser, PasswordChoice, SignIn, User};
use ronda_store::{Store, StoreError};

/// A sign-in as the console will make it, with a lock-out no test here reaches.
trait SignInExt {
    fn sign_in(&self, name: &str, password: &str) -> Result<Option<User>, StoreError>;
}

impl SignInExt for Store {
    fn sign_in(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        let lockout = Lockout {
            max_failures: 100,
            lock_ms: 60_000,
        };
        Ok(
            match self.sign_in_blocking(name, password, None, lockout)? {
                SignIn::Accepted(u) => Some(u),
                SignIn::Refused | SignIn::Locked { .. } | SignIn::CodeRequired => None,
            },
        )
    }
}

fn user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        platform: None,
        unit: None,
    }
}

fn chosen(p: &str) -> PasswordChoice {
    PasswordChoice::Chosen(p.into())
}

on_both_backends! {
    fn a_user_signs_in_with_their_password_only(db: &TestDb) {
        let s = &db.store;
        let (u, shown) = s
            .create_user_blocking("admin:ayu", user("Rina.Analis", Role::Analyst), chosen("kata sandi panjang"))
            .unwrap();
        assert_eq!((u.name.as_str(), u.role, shown), ("rina.analis", Role::Analyst, None));
        assert!(!u.password_must_change);
        let found = s.sign_in("RINA.analis", "kata sandi panjang").unwrap().unwrap();
        assert_eq!(found.id, u.id);
        assert!(s.sign_in("rina.analis", "kata sandi panjanG").unwrap().is_none());
        assert!(s.sign_in("nobody", "kata sandi panjang").unwrap().is_none());
        // The password is nowhere in clear: not in the row, not in the audit log.
        let stored: String = s
            .read(|c| c.query_one("SELECT password_hash FROM users WHERE id = $1", &[u.id.into()])?.string(0))
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        let events = s.audit_events_for(&format!("user:{}", u.id)).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].actor.as_str(), events[0].action.as_str()), ("admin:ayu", "user.created"));
        let after = events[0].after.clone().unwrap();
        assert!(!after.contains("kata sandi") && !after.contains("argon2"), "{after}");
    }

    fn a_generated_password_is_shown_once_and_must_be_changed(db: &TestDb) {
        let s = &db.store;
        let (u, shown) = s
            .create_user_blocking("cli:root", user("budi", Role::Supervisor), PasswordChoice::Generated)
            .unwrap();
        let shown = shown.unwrap();
        assert_eq!(shown.len(), 20);
        assert!(u.password_must_change);
        assert!(s.sign_in("budi", &shown).unwrap().is_some());
        // A reset to a chosen password clears the mark; the old password stops working.
        assert_eq!(s.reset_user_password_blocking("cli:root", "budi", chosen("a new long password")).unwrap(), None);
        assert!(s.sign_in("budi", &shown).unwrap().is_none());
        let now = s.sign_in("budi", "a new long password").unwrap().unwrap();
        assert!(!now.password_must_change);
        let again = s.reset_user_password_blocking("cli:root", "budi", PasswordChoice::Generated).unwrap().unwrap();
        assert!(s.sign_in("budi", &again).unwrap().unwrap().password_must_change);
        let actions: Vec<String> = s.audit_events_for(&format!("user:{}", u.id)).unwrap()
            .into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["user.created", "user.password_reset", "user.password_reset"]);
    }

    fn roles_bind_platform_and_unit_users_and_bad_input_is_refused(db: &TestDb) {
        let s = &db.store;
        let err = |r: Result<_, StoreError>| match r {
            Err(StoreError::Invalid(f)) => (f.code, f.field),
            Err(e) => panic!("unexpected {e}"),
            Ok(_) => panic!("accepted"),
        };
        let mut p = user("mod.michat", Role::Platform);
        assert_eq!(err(s.create_user_blocking("t", p.clone(), chosen("long enough pass"))), ("required", "platform".to_string()));
        p.platform = Some("nowhere".into());
        assert_eq!(err(s.create_user_blocking("t", p.clone(), chosen("long enough pass"))), ("unknown", "platform".to_string()));
        p.platform = Some("MiChat".into());
        let (pu, _) = s.create_user_blocking("t", p, chosen("long enough pass")).unwrap();
        assert_eq!(pu.platform.as_deref(), Some("michat"));
        let mut police = user("iptu.sari", Role::Police);
        assert_eq!(err(s.create_user_blocking("t", police.clone(), chosen("long enough pass"))), ("required", "unit".to_string()));
        police.unit = Some("Dittipidsiber Bareskrim".into());
        let (pol, _) = s.create_user_blocking("t", police, chosen("long enough pass")).unwrap();
        assert_eq!(pol.unit.as_deref(), Some("Dittipidsiber Bareskrim"));
        let mut wrong = user("ana", Role::Analyst);
        wrong.unit = Some("x".into());
        assert_eq!(err(s.create_user_blocking("t", wrong, chosen("long enough pass"))), ("invalid", "unit".to_string()));
        assert_eq!(err(s.create_user_blocking("t", user("ana", Role::Analyst), chosen("short"))), ("too_short", "password".to_string()));
        assert_eq!(err(s.create_user_blocking("t", user("a b", Role::Analyst), chosen("long enough pass"))), ("invalid", "name".to_string()));
        assert!(matches!(
            s.create_user_blocking("t", user("MOD.michat", Role::Analyst), chosen("long enough pass")),
            Err(StoreError::Conflict(_))
        ));
        let names: Vec<String> = s.list_users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["mod.michat", "iptu.sari"]);
    }

    fn a_disabled_user_verifies_nothing(db: &TestDb) {
        let s = &db.store;
        s.create_user_blocking("t", user("dewi", Role::Analyst), chosen("dewi's long password")).unwrap();
        let d = s.disable_user_blocking("admin:ayu", "Dewi").unwrap();
        assert!(d.disabled_at.is_some());
        assert!(s.sign_in("dewi", "dewi's long password").unwrap().is_none());
        assert!(matches!(s.disable_user_blocking("admin:ayu", "dewi"), Err(StoreError::Conflict(_))));
        assert!(matches!(s.disable_user_blocking("admin:ayu", "nobody"), Err(StoreError::NotFound(_))));
        assert!(s.list_users().unwrap()[0].disabled_at.is_some());
    }
}

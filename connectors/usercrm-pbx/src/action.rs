//! Every `action` the PBX sends us, and which are questions and which are
//! events.

/// One accepted `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// URL check while the integration is set up.
    Test,
    /// The CRM's users, to map PBX users onto.
    GetUsers,
    /// Who a caller is and who is responsible for them.
    GetContact,
    /// A PBX user's registration changed (DomainUser `status`, `protocol`).
    UserChange,
    /// A call-center agent's status changed (DomainAgent `base_status`, `extra_status`).
    AgentChange,
    CallRinging,
    CallAnswer,
    CallHangup,
    /// A call detail record was written.
    CdrAppend,
    CallHeld,
    /// Taken off hold.
    CallActive,
}

impl Action {
    /// All of them, in the seed's order.
    pub const ALL: [Action; 11] = [
        Action::Test,
        Action::GetUsers,
        Action::GetContact,
        Action::UserChange,
        Action::AgentChange,
        Action::CallRinging,
        Action::CallAnswer,
        Action::CallHangup,
        Action::CdrAppend,
        Action::CallHeld,
        Action::CallActive,
    ];

    /// The vendor's name, as sent in `action` (case-sensitive in the seed;
    /// read case-insensitively).
    pub fn name(self) -> &'static str {
        match self {
            Action::Test => "test",
            Action::GetUsers => "get_users",
            Action::GetContact => "get_contact",
            Action::UserChange => "user_change",
            Action::AgentChange => "agent_change",
            Action::CallRinging => "call_ringing",
            Action::CallAnswer => "call_answer",
            Action::CallHangup => "call_hangup",
            Action::CdrAppend => "cdr_append",
            Action::CallHeld => "call_held",
            Action::CallActive => "call_active",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        let name = name.trim();
        Action::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Questions the PBX waits on an answer to; they produce no events.
    pub fn is_request(self) -> bool {
        matches!(self, Action::Test | Action::GetUsers | Action::GetContact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
        assert_eq!(
            Action::from_name(" CALL_Ringing "),
            Some(Action::CallRinging)
        );
        assert_eq!(Action::from_name("get_cdr"), None);
        let requests: Vec<_> = Action::ALL.into_iter().filter(|a| a.is_request()).collect();
        assert_eq!(
            requests,
            [Action::Test, Action::GetUsers, Action::GetContact]
        );
    }
}

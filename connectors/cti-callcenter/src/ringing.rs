//! §1.1 incoming call and §1.2 outgoing call: a phone rings.

use switchboard_sdk::prelude::*;

use crate::params::{self, Params};
use crate::route::Route;
use crate::{Settings, fields, parties};

/// The ringing event of an incoming call (an extension rings, `inbound`) or
/// an outgoing call (an extension dials a customer, `outbound`). Needs
/// `callid` and `extension`; `phone` may be absent or masked (hidden caller
/// ids exist). Keyed `{incoming|outgoing}:{callid}:{extension}`: a queue
/// rings several extensions with one call id.
pub fn build(params: &Params, settings: &Settings, route: Route) -> Result<Event, ConnectorError> {
    let callid = params.require(fields::CALLID)?;
    let extension = params.require(fields::EXTENSION)?;
    let direction = match route {
        Route::OutgoingCall => Direction::Outbound,
        _ => Direction::Inbound,
    };
    let mut attributes = Vec::new();
    let mut call = CallEvent::new(CallRef::single(&callid), CallPhase::Ringing);
    call.direction = direction;
    call.customer_phone = parties::customer_phone(
        params.text(fields::PHONE).as_deref(),
        &settings.default_country_code,
        &mut attributes,
    );
    call.extension = Some(extension.clone());
    // Not documented for these events; used if a PBX sends it.
    call.started_at = fields::calldate(params, settings.utc_offset_minutes, &mut attributes);
    attributes.extend(params.rest(&[
        params::SECRET,
        fields::CALLID,
        fields::EXTENSION,
        fields::PHONE,
        fields::CALLDATE,
    ]));
    call.attributes = attributes;
    let key = format!("{}:{callid}:{extension}", route.key_prefix());
    Ok(Event::new(key, EventBody::Call(call)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attrs, call, vietnam};
    use serde_json::json;

    fn params(items: &[(&str, &str)]) -> Params {
        Params::from_values(items.iter().map(|(k, v)| (*k, json!(v))))
    }

    #[test]
    fn incoming_rings_inbound() {
        let e = build(
            &params(&[
                ("phone", "0904824242"),
                ("extension", "101"),
                ("callid", "1565944170.123"),
            ]),
            &vietnam(),
            Route::IncomingCall,
        )
        .unwrap();
        assert_eq!(e.dedup_key, "incoming:1565944170.123:101");
        assert_eq!(e.occurred_at, None);
        let c = call(&e);
        assert_eq!(c.phase, CallPhase::Ringing);
        assert_eq!(c.direction, Direction::Inbound);
        assert_eq!(c.call.external_id, "1565944170.123");
        assert_eq!(c.call.chain_id, "1565944170.123");
        assert_eq!(c.call.leg, 0);
        assert_eq!(c.customer_phone.as_deref(), Some("+84904824242"));
        assert_eq!(c.extension.as_deref(), Some("101"));
        assert_eq!(c.extension_kind, EndpointKind::Extension);
        assert_eq!(c.outcome, None);
        assert_eq!(attrs(&c.attributes), vec![("raw.phone", "0904824242")]);
    }

    #[test]
    fn outgoing_rings_outbound_and_keeps_extras() {
        let e = build(
            &params(&[
                ("phone", "+84912345678"),
                ("extension", "102"),
                ("callid", "c-9"),
                ("userfield", "order-77"),
                ("calldate", "2019-08-16 15:29:30"),
            ]),
            &vietnam(),
            Route::OutgoingCall,
        )
        .unwrap();
        assert_eq!(e.dedup_key, "outgoing:c-9:102");
        let c = call(&e);
        assert_eq!(
            (c.phase, c.direction),
            (CallPhase::Ringing, Direction::Outbound)
        );
        assert_eq!(c.customer_phone.as_deref(), Some("+84912345678"));
        assert_eq!(c.started_at, Some(1_565_969_370_000 - 7 * 3_600_000));
        assert_eq!(attrs(&c.attributes), vec![("userfield", "order-77")]);
    }

    #[test]
    fn hidden_caller_is_accepted() {
        let e = build(
            &params(&[("extension", "101"), ("callid", "c-1")]),
            &vietnam(),
            Route::IncomingCall,
        )
        .unwrap();
        assert_eq!(call(&e).customer_phone, None);
        assert!(call(&e).attributes.is_empty());
    }

    #[test]
    fn callid_and_extension_are_required() {
        for (items, field) in [
            (
                &[("phone", "0904824242"), ("extension", "101")][..],
                "`callid`",
            ),
            (
                &[("phone", "0904824242"), ("callid", "c-1")][..],
                "`extension`",
            ),
            (&[("callid", " "), ("extension", "101")][..], "`callid`"),
        ] {
            let err = build(&params(items), &vietnam(), Route::IncomingCall).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(ref m) if m.contains(field)),
                "{items:?}: {err:?}"
            );
        }
    }
}

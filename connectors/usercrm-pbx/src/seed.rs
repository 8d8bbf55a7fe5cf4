//! The seed's example messages (`002_243bdc4b35f3067c.txt`), copied verbatim:
//! the tests feed them through the connector unchanged, or, for the events
//! the seed prints as Python dicts, through `test_support::seed_json`.

/// `test`: the URL check (PBX → CRM).
pub const TEST_REQUEST: &str = r##"{
    "action": "test",
    "obj": "UserCRM",
    "action_id": "123",
    "params": {
    }
}"##;

/// The reply that makes the URL check succeed.
pub const TEST_REPLY: &str = r##"{
    "action": "test",
    "obj": "UserCRM",
    "code": 200,
    "body": {
        "success": true
    }
}"##;

/// `get_users` (PBX → CRM).
pub const GET_USERS_REQUEST: &str = r##"{
    "action": "get_users",
    "obj": "UserCRM",
    "action_id": "123",
    "params": {
    }
}"##;

/// The seed's example reply to `get_users`.
pub const GET_USERS_REPLY: &str = r##"{
    "action": "get_users",
    "obj": "UserCRM",
    "code": 200,
    "body":[
        {"id":  "1", "name": "Менеджер Рита"},
        {"id":  "2", "name": "Менеджер Иван"}
    ]
}"##;

/// `get_contact` (PBX → CRM). Not valid JSON as printed: the comma after `"phone": "4951343060"` is missing.
pub const GET_CONTACT_REQUEST: &str = r##"{
    "action": "get_contact",
    "obj": "UserCRM",
    "action_id": "123",
    "params": {
    "phone": "4951343060"
    "e164_phone": "74951343060"
    }
}"##;

/// The seed's example reply to `get_contact`. Not JSON as printed: it carries `<-` and `-` comments, a trailing comma, and swaps `company_id` and `company_name`.
pub const GET_CONTACT_REPLY: &str = r##"{
    "obj": "UserCRM", "action": "get_contact",
    "code": 200,
    "list": [
        {
            "name": "Компания",
            "id": 1,  <- ID компании
            "type": "company",
            "owner_id": 1004 - номер телефона абонента или ID абонента из CRM
        },
        {
            "name": "Петров АА",
            "id": 2,  <- ID контакта
            "type": "contact",
            "company_id": "Компания",
            "company_name": "1",
            "owner_id": 1004 - номер телефона абонента или ID абонента из CRM
        },
    ]
}"##;

/// `user_change` (PBX → CRM), in the seed's Python notation.
pub const USER_CHANGE: &str = r##"{
    'action': 'user_change',
    'action_id': '73913ae3-3051-41bc-8bee-c2c689072a96',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'user_uid': '9022',
        'crm_user': '3',
        'status': 1,
        'protocol': 0
    }
}"##;

/// `agent_change`.
pub const AGENT_CHANGE: &str = r##"{
    'action': 'agent_change',
    'action_id': '69dba658-a137-468b-be78-96d1965064c8',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'user_uid': '1022',
        'crm_user': '2',
        'base_status': -1,
        'extra_status': 1,
        'status_name': 'В работе'
    }
}"##;

/// `call_ringing`.
pub const CALL_RINGING: &str = r##"{
    'action': 'call_ringing',
    'action_id': '1b9b58c9-1787-4f80-8e39-8d2affac90d3',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'call_id': '7c97ce9e-97aa-4549-9a92-e0d63f570db8',
        'session_id': '93758923-1664-44eb-ae6c-59b27c53b805',
        'crm_user': '3',
        'domain_user': '9022',
        'other_leg': '+74952523060',
        'rt_vars': {'gateway_number': '74951343060'},
        'direction': 0}
    }"##;

/// `call_answer`.
pub const CALL_ANSWER: &str = r##"{
    'action': 'call_answer',
    'action_id': '1b9b58c9-1787-4f80-8e39-8d2affac90d3',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'call_id': '7c97ce9e-97aa-4549-9a92-e0d63f570db8',
        'session_id': '93758923-1664-44eb-ae6c-59b27c53b805',
        'crm_user': '3',
        'domain_user': '9022',
        'other_leg': '+74952523060',
        'rt_vars': {'gateway_number': '74951343060'},
        'direction': 0}
    }"##;

/// `call_hangup`.
pub const CALL_HANGUP: &str = r##"{
    'action': 'call_hangup',
    'action_id': '1b9b58c9-1787-4f80-8e39-8d2affac90d3',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'call_id': '7c97ce9e-97aa-4549-9a92-e0d63f570db8',
        'session_id': '93758923-1664-44eb-ae6c-59b27c53b805',
        'crm_user': '3',
        'domain_user': '9022',
        'other_leg': '+74952523060',
        'rt_vars': {'hangup_cause': 'NORMAL_CLEARING'},
        'direction': 0,
        'variable_answersec': '9'}
    }"##;

/// `cdr_append`.
pub const CDR_APPEND: &str = r##"{
    'action': 'cdr_append',
    'action_id': '6ce285e6-c704-4857-a64a-510aa8c3cb40',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'id': 112666,
        'uniqueid': '5548f6ab-efab-4dd9-843b-c53f50a5506a',
        'dt': 1633333012.0,
        'src': '9022',
        'dst': '+74952523060',
        'duration': 14,
        'billsec': 3,
        'cc_queue_waiting_time': 0,
        'lastapp': 'bind_digit_action',
        'lastdata': 'office.runtel.org,~%5C*1,exec%3Aexecute_extension,*1%20XML%20office.runtel.org,a',
        'rec_path': 'office.runtel.org/2021-10-04/',
        'gateway': 'Test1',
        'gateway_number': '+74951343060',
        'dial_status': 0,
        'direction': 0,
        'project_id': 0,
        'project_name': '',
        'bridge_hangup_cause': 'NORMAL_CLEARING',
        'hold_accum_seconds': 0,
        'geo_ids': '...',
        'geo_names': '...',
        'link': 'https://pbx.runtel.org/get_file?file=onWde...'
    }
}"##;

/// `call_held`.
pub const CALL_HELD: &str = r##"{
    'action': 'call_held',
    'action_id': '4a9e14e4-cc87-4ec0-958d-4a36230ecd52',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'user_uid': '9022',
        'crm_user': '3',
        'call_id': 'd319b916-e987-4c0f-9b08-b915a72526fb',
        'session_id': 'd319b916-e987-4c0f-9b08-b915a72526fb',
        'other_leg': '+79066800404',
        'direction': 0
    }
}"##;

/// `call_active`.
pub const CALL_ACTIVE: &str = r##"{
    'action': 'call_active',
    'action_id': '4a9e14e4-cc87-4ec0-958d-4a36230ecd52',
    'obj': 'UserCRM',
    'code': 200,
    'notifies': [],
    'body': {
        'user_uid': '9022',
        'crm_user': '3',
        'call_id': 'd319b916-e987-4c0f-9b08-b915a72526fb',
        'session_id': 'd319b916-e987-4c0f-9b08-b915a72526fb',
        'other_leg': '+79066800404',
        'direction': 0
    }
}"##;

/// `get_cdr` (CRM → PBX).
pub const GET_CDR: &str = r##"{
  "action": "get_cdr",
  "obj": "UserCRM",
  "action_id": "123",
  "sort": {"dt": "+"},
  "limit": 10,
  "offset": 0,
  "params": {
    "start_dt": "1633074025",
    "end_dt": "1633074725",
    "src_or_dst_list": ["+74951343060", "+74952523060"]
  }
}"##;

/// `make_call` (CRM → PBX).
pub const MAKE_CALL: &str = r##"{
  "action": "make_call",
  "obj": "UserCRM",
  "action_id": "123",
  "params": {
    "crm_user_id": "user_crm_30",
    "dst": "89066800404"
  }
}"##;

/// `switch_call_hold` (CRM → PBX).
pub const SWITCH_CALL_HOLD: &str = r##"{
  "action": "switch_call_hold",
  "obj": "UserCRM",
  "action_id": "123",
  "params": {
    "crm_user_id": "user_crm_30",
    "call_id": "725d2f5b-34e3-48df-96f4-8fa729da1098"
  }
}"##;

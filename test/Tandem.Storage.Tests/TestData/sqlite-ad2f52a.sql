PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL);
INSERT INTO schema_migrations VALUES(1,1796179547879);
CREATE TABLE dictionary (
    id    INTEGER PRIMARY KEY,
    kind  INTEGER NOT NULL,
    value TEXT    NOT NULL,
    UNIQUE (kind, value)
);
INSERT INTO dictionary VALUES(1,1,'t');
INSERT INTO dictionary VALUES(2,2,'intent');
INSERT INTO dictionary VALUES(3,3,'gpt-4o-mini');
INSERT INTO dictionary VALUES(4,4,'route intent -> gpt-4o-mini; migration shadow: llama-8b called beside');
INSERT INTO dictionary VALUES(5,6,'stop');
INSERT INTO dictionary VALUES(6,7,'gpt-4o-mini');
INSERT INTO dictionary VALUES(7,8,'fp_tandem_sim');
INSERT INTO dictionary VALUES(8,9,'u02');
INSERT INTO dictionary VALUES(9,9,'u03');
INSERT INTO dictionary VALUES(10,9,'u04');
INSERT INTO dictionary VALUES(11,9,'u05');
INSERT INTO dictionary VALUES(12,9,'u06');
INSERT INTO dictionary VALUES(13,9,'u07');
INSERT INTO dictionary VALUES(14,9,'u08');
INSERT INTO dictionary VALUES(15,9,'u09');
INSERT INTO dictionary VALUES(16,9,'u10');
INSERT INTO dictionary VALUES(17,9,'u11');
INSERT INTO dictionary VALUES(18,9,'u12');
INSERT INTO dictionary VALUES(19,5,'client_closed');
INSERT INTO dictionary VALUES(20,9,'u01');
CREATE TABLE records (
    time_ms           INTEGER NOT NULL,
    request_id        TEXT    NOT NULL,
    operation         INTEGER NOT NULL,
    key_id            INTEGER NOT NULL,
    route_id          INTEGER NOT NULL,
    deployment_id     INTEGER NOT NULL,
    decision_id       INTEGER NOT NULL,
    flags             INTEGER NOT NULL,
    status            INTEGER NOT NULL,
    error_id          INTEGER NOT NULL,
    attempt_count     INTEGER NOT NULL,
    attempt_status    INTEGER NOT NULL,
    attempt_error_id  INTEGER NOT NULL,
    attempt_us        INTEGER NOT NULL,
    overhead_us       INTEGER NOT NULL,
    upstream_us       INTEGER NOT NULL,
    ttft_us           INTEGER,
    total_us          INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    cost_nanos        INTEGER NOT NULL,
    finish_id         INTEGER NOT NULL,
    model_id          INTEGER NOT NULL,
    fingerprint_id    INTEGER NOT NULL,
    end_user_id       INTEGER NOT NULL,
    tags              TEXT
);
INSERT INTO records VALUES(1796179548896,'gen-002',0,1,2,3,4,0,200,0,1,200,0,14159,19909,14227,NULL,34233,8,0,24,0,15600,5,6,7,8,NULL);
INSERT INTO records VALUES(1796179549182,'gen-003',0,1,2,3,4,0,200,0,1,200,0,1166,591,1175,NULL,1811,8,0,24,0,15600,5,6,7,9,NULL);
INSERT INTO records VALUES(1796179549202,'gen-004',0,1,2,3,4,0,200,0,1,200,0,977,588,989,NULL,1612,8,0,24,0,15600,5,6,7,10,NULL);
INSERT INTO records VALUES(1796179549216,'gen-005',0,1,2,3,4,0,200,0,1,200,0,981,544,997,NULL,1576,8,0,24,0,15600,5,6,7,11,NULL);
INSERT INTO records VALUES(1796179549230,'gen-006',0,1,2,3,4,0,200,0,1,200,0,890,467,901,NULL,1394,8,0,24,0,15600,5,6,7,12,NULL);
INSERT INTO records VALUES(1796179549243,'gen-007',0,1,2,3,4,0,200,0,1,200,0,1120,498,1134,NULL,1676,8,0,24,0,15600,5,6,7,13,NULL);
INSERT INTO records VALUES(1796179549384,'gen-008',0,1,2,3,4,0,200,0,1,200,0,15948,675,15967,NULL,16705,8,0,24,0,15600,5,6,7,14,NULL);
INSERT INTO records VALUES(1796179549549,'gen-009',0,1,2,3,4,0,200,0,1,200,0,1072,687,1090,NULL,1809,8,0,24,0,15600,5,6,7,15,NULL);
INSERT INTO records VALUES(1796179549649,'gen-010',0,1,2,3,4,0,200,0,1,200,0,6506,486,6521,NULL,7069,8,0,24,0,15600,5,6,7,16,NULL);
INSERT INTO records VALUES(1796179549868,'gen-011',0,1,2,3,4,0,200,0,1,200,0,2645,549,2656,NULL,3234,8,0,24,0,15600,5,6,7,17,NULL);
INSERT INTO records VALUES(1796179549894,'gen-012',0,1,2,3,4,0,200,0,1,200,0,972,364,982,NULL,1370,8,0,24,0,15600,5,6,7,18,NULL);
INSERT INTO records VALUES(1796179548432,'gen-001',0,1,2,3,4,2,499,19,1,200,0,308752,130368,309247,NULL,450910,11,0,0,0,1650,0,0,0,20,NULL);
CREATE TABLE attempts (
    request_id    TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    deployment_id INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    error_id      INTEGER NOT NULL,
    latency_us    INTEGER NOT NULL
);
CREATE TABLE contents (
    request_id TEXT    NOT NULL,
    time_ms    INTEGER NOT NULL,
    prompt     TEXT,
    response   TEXT
);
CREATE TABLE batches (
    id      TEXT    PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    size    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO batches VALUES('01a234a4dba777a99c8abc426d46cbaf',1796179549115,1);
INSERT INTO batches VALUES('01a234a4dc02711a8e05e8386afaecce',1796179549186,1);
INSERT INTO batches VALUES('01a234a4dc157946b979d1eca51fa15d',1796179549209,1);
INSERT INTO batches VALUES('01a234a4dc227c219ea2fb155d4fae64',1796179549220,1);
INSERT INTO batches VALUES('01a234a4dc3074dbb5428b22fbf67ad9',1796179549234,1);
INSERT INTO batches VALUES('01a234a4dc3d7f00baab6009644c8dd3',1796179549248,1);
INSERT INTO batches VALUES('01a234a4dcd97bae98528d656675614b',1796179549403,1);
INSERT INTO batches VALUES('01a234a4dd6f719c8258dbd5db45422e',1796179549552,1);
INSERT INTO batches VALUES('01a234a4de947d489187d15731924048',1796179549849,1);
INSERT INTO batches VALUES('01a234a4deb076579ffb192bb9c237e1',1796179549876,1);
INSERT INTO batches VALUES('01a234a4dec873c29c1d2fbb0b371ce4',1796179549901,1);
INSERT INTO batches VALUES('01a234a4e0b57d159e71c8d47c011a57',1796179550391,1);
CREATE TABLE rollups (
    day               INTEGER NOT NULL,
    route_id          INTEGER NOT NULL,
    deployment_id     INTEGER NOT NULL,
    key_id            INTEGER NOT NULL,
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    estimated         INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    cost_nanos        INTEGER NOT NULL,
    p50_us            INTEGER NOT NULL,
    p95_us            INTEGER NOT NULL,
    p99_us            INTEGER NOT NULL,
    PRIMARY KEY (day, route_id, deployment_id, key_id)
) WITHOUT ROWID;
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta VALUES('last_rollup_day','20788');
INSERT INTO meta VALUES('raw_since_day','20699');
CREATE TABLE tandem_migration_state (
  route TEXT PRIMARY KEY, incumbent TEXT NOT NULL, candidate TEXT NOT NULL, stage TEXT NOT NULL,
  canary_step INTEGER NOT NULL, started_at BIGINT NOT NULL, stage_entered_at BIGINT NOT NULL,
  pinned INTEGER NOT NULL, version BIGINT NOT NULL);
INSERT INTO tandem_migration_state VALUES('intent','gpt-4o-mini','llama-8b','Canary',0,1796179547902128,1796179551566985,0,2);
CREATE TABLE tandem_migration_event (
  id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL, time BIGINT NOT NULL, kind TEXT NOT NULL,
  from_stage TEXT, to_stage TEXT, trigger_kind TEXT NOT NULL, evidence TEXT NOT NULL);
INSERT INTO tandem_migration_event VALUES(1,'intent',1796179547902128,'start',NULL,'shadow','config','{}');
INSERT INTO tandem_migration_event VALUES(2,'intent',1796179549052173,'evaluate','shadow',NULL,'auto','{"samples":0,"compared":0,"agreement":null,"candidate_error_rate":null,"candidate_p95_ms":null,"incumbent_p95_ms":null,"candidate_cost_per_request":null,"judge_score":null,"minutes_in_stage":0.02,"all_passed":false,"gates":[{"gate":"samples","value":0,"threshold":"\u003E= 200","samples":0,"passed":false},{"gate":"duration","value":0.018566,"threshold":"\u003E= 60 min","samples":0,"passed":false},{"gate":"agreement","value":null,"threshold":"\u003E= 0.9","samples":0,"passed":false},{"gate":"candidate_error_rate","value":null,"threshold":"\u003C= 0.02","samples":0,"passed":true}],"top_disagreements":[]}');
INSERT INTO tandem_migration_event VALUES(3,'intent',1796179550101283,'evaluate','shadow',NULL,'auto','{"samples":11,"compared":11,"agreement":1,"agreement_ci95":[0.7412,1],"candidate_error_rate":0,"candidate_p95_ms":444.63675,"incumbent_p95_ms":15.09675,"candidate_cost_per_request":null,"judge_score":null,"minutes_in_stage":0.04,"all_passed":false,"gates":[{"gate":"samples","value":11,"threshold":"\u003E= 200","samples":11,"passed":false},{"gate":"duration","value":0.03665,"threshold":"\u003E= 60 min","samples":11,"passed":false},{"gate":"agreement","value":1,"threshold":"\u003E= 0.9","samples":11,"passed":true},{"gate":"candidate_error_rate","value":0,"threshold":"\u003C= 0.02","samples":11,"passed":true}],"top_disagreements":[]}');
INSERT INTO tandem_migration_event VALUES(4,'intent',1796179551122126,'evaluate','shadow',NULL,'auto','{"samples":11,"compared":11,"agreement":1,"agreement_ci95":[0.7412,1],"candidate_error_rate":0,"candidate_p95_ms":444.63675,"incumbent_p95_ms":15.09675,"candidate_cost_per_request":null,"judge_score":null,"minutes_in_stage":0.05,"all_passed":false,"gates":[{"gate":"samples","value":11,"threshold":"\u003E= 200","samples":11,"passed":false},{"gate":"duration","value":0.053662,"threshold":"\u003E= 60 min","samples":11,"passed":false},{"gate":"agreement","value":1,"threshold":"\u003E= 0.9","samples":11,"passed":true},{"gate":"candidate_error_rate","value":0,"threshold":"\u003C= 0.02","samples":11,"passed":true}],"top_disagreements":[]}');
INSERT INTO tandem_migration_event VALUES(5,'intent',1796179551566985,'advance','shadow','canary 5%','manual','{"samples":11,"compared":11,"agreement":1,"agreement_ci95":[0.7412,1],"candidate_error_rate":0,"candidate_p95_ms":444.63675,"incumbent_p95_ms":15.09675,"candidate_cost_per_request":null,"judge_score":null,"minutes_in_stage":0.06,"all_passed":false,"gates":[{"gate":"samples","value":11,"threshold":"\u003E= 200","samples":11,"passed":false},{"gate":"duration","value":0.061058,"threshold":"\u003E= 60 min","samples":11,"passed":false},{"gate":"agreement","value":1,"threshold":"\u003E= 0.9","samples":11,"passed":true},{"gate":"candidate_error_rate","value":0,"threshold":"\u003C= 0.02","samples":11,"passed":true}],"top_disagreements":[]}');
INSERT INTO tandem_migration_event VALUES(6,'intent',1796179552133478,'evaluate','canary 5%',NULL,'auto','{"samples":0,"compared":0,"agreement":null,"candidate_error_rate":null,"candidate_p95_ms":null,"incumbent_p95_ms":null,"candidate_cost_per_request":null,"judge_score":null,"minutes_in_stage":0.01,"all_passed":false,"gates":[{"gate":"samples","value":0,"threshold":"\u003E= 200","samples":0,"passed":false},{"gate":"duration","value":0.009439,"threshold":"\u003E= 60 min","samples":0,"passed":false},{"gate":"agreement","value":null,"threshold":"\u003E= 0.9","samples":0,"passed":false},{"gate":"candidate_error_rate","value":null,"threshold":"\u003C= 0.02","samples":0,"passed":true}],"top_disagreements":[]}');
INSERT INTO tandem_migration_event VALUES(7,'intent',1796179553143592,'evaluate','canary 5%',NULL,'auto','{"samples":0,"compared":0,"agreement":null,"candidate_error_rate":null,"candidate_p95_ms":null,"incumbent_p95_ms":null,"candidate_cost_per_request":null,"judge_score":null,"minutes_in_stage":0.03,"all_passed":false,"gates":[{"gate":"samples","value":0,"threshold":"\u003E= 200","samples":0,"passed":false},{"gate":"duration","value":0.026275,"threshold":"\u003E= 60 min","samples":0,"passed":false},{"gate":"agreement","value":null,"threshold":"\u003E= 0.9","samples":0,"passed":false},{"gate":"candidate_error_rate","value":null,"threshold":"\u003C= 0.02","samples":0,"passed":true}],"top_disagreements":[]}');
CREATE TABLE tandem_shadow_sample (
  id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL, request_id TEXT NOT NULL, time BIGINT NOT NULL, stage TEXT NOT NULL,
  served_by TEXT NOT NULL, incumbent_answer TEXT, candidate_answer TEXT, incumbent_label TEXT,
  candidate_label TEXT, agree INTEGER, similarity DOUBLE PRECISION, candidate_error TEXT,
  incumbent_error TEXT, incumbent_latency_ms DOUBLE PRECISION, candidate_latency_ms DOUBLE PRECISION,
  candidate_cost DOUBLE PRECISION, judge_score DOUBLE PRECISION);
INSERT INTO tandem_shadow_sample VALUES(1,'intent','gen-003',1796179549577414,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,1.1751000000000000333,378.80160000000000764,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(2,'intent','gen-004',1796179549610800,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,0.98880000000000001225,405.40300000000002002,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(3,'intent','gen-005',1796179549622126,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,0.99670000000000003037,403.72849999999999683,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(4,'intent','gen-006',1796179549645459,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,0.90139999999999997903,35.588700000000002888,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(5,'intent','gen-007',1796179549647409,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,1.1343000000000000859,25.988700000000001465,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(6,'intent','gen-008',1796179549648487,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,15.966599999999999681,15.2004999999999999,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(7,'intent','gen-009',1796179549657177,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,1.0900000000000000799,10.025199999999999889,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(8,'intent','gen-002',1796179549580773,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,14.226900000000000546,483.87049999999999271,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(9,'intent','gen-010',1796179549850215,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,6.5209000000000001406,190.50989999999998758,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(10,'intent','gen-011',1796179549877488,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,2.6558999999999999275,5.3971999999999997754,NULL,NULL);
INSERT INTO tandem_shadow_sample VALUES(11,'intent','gen-012',1796179549901513,'shadow','incumbent','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can you that so request your about reply useful and short a with answers model the deployments between agreement and cost tokens latency measure.','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure','can_you_that_so_request_your_about_reply_useful_and_short_a_with_answers_model_the_deployments_between_agreement_and_cost_tokens_latency_measure',1,NULL,NULL,NULL,0.98240000000000005098,4.9589999999999996305,NULL,NULL);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('tandem_migration_event',7);
INSERT INTO sqlite_sequence VALUES('tandem_shadow_sample',11);
CREATE INDEX records_time ON records (time_ms);
CREATE INDEX records_request ON records (request_id);
CREATE INDEX attempts_request ON attempts (request_id);
CREATE INDEX attempts_time ON attempts (time_ms);
CREATE INDEX contents_request ON contents (request_id);
CREATE INDEX contents_time ON contents (time_ms);
CREATE INDEX ix_tandem_migration_event_route ON tandem_migration_event (route, id);
CREATE INDEX ix_tandem_shadow_sample_route_time ON tandem_shadow_sample (route, time);
COMMIT;

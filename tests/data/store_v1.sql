-- A reward store of schema version 1, written by t2s_env's RewardStore before curves
-- (commit 3d2545c) and dumped with sqlite3's iterdump: tests/test_store_migration.py
BEGIN TRANSACTION;
CREATE TABLE claims (
    task TEXT NOT NULL,
    config TEXT NOT NULL,
    simulator TEXT NOT NULL,
    simulator_version TEXT NOT NULL,
    recipe TEXT NOT NULL,
    seed INTEGER NOT NULL,
    dataset TEXT,
    owner TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (task, config, simulator, simulator_version, recipe, seed)
);
INSERT INTO "claims" VALUES('digits-0to4','1_0_0_0_0_1_0_0_0','embedded','ea5e93aa5e2b','cpu2@952125d8fd',0,'ds-digits-0to4','otherhost:1:abc',1796160951.0);
CREATE TABLE embeddings (
    task TEXT NOT NULL,
    method TEXT NOT NULL,
    vector BLOB NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (task, method)
);
INSERT INTO "embeddings" VALUES('digits-0to4','m',X'000000000000803F0000004000004040','{"a": 1}');
CREATE TABLE evaluations (
    task TEXT NOT NULL,
    config TEXT NOT NULL,
    simulator TEXT NOT NULL,
    simulator_version TEXT NOT NULL,
    recipe TEXT NOT NULL,
    seed INTEGER NOT NULL,
    accuracy REAL NOT NULL CHECK (accuracy >= 0 AND accuracy <= 1),
    timings TEXT NOT NULL,
    versions TEXT NOT NULL,
    details TEXT NOT NULL,
    created REAL NOT NULL,
    backbone TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (task, config, simulator, simulator_version, recipe, seed)
);
INSERT INTO "evaluations" VALUES('digits-0to4','0_0_0_0_0_1_0_0_0','embedded','ea5e93aa5e2b','cpu2@952125d8fd',0,0.5,'{"cpu": 1.25, "total": 1.5}','{}','{"dataset": "ds-digits-0to4"}',1796160651.0,'bb/0');
INSERT INTO "evaluations" VALUES('digits-0to4','0_0_0_0_0_1_0_0_0','embedded','ea5e93aa5e2b','cpu2@952125d8fd',1,0.51,'{"cpu": 1.25, "total": 1.5}','{}','{"dataset": "ds-digits-0to4"}',1796160651.0,'bb/1');
INSERT INTO "evaluations" VALUES('fmnist-tops','0_0_0_0_0_1_0_0_0','embedded','ea5e93aa5e2b','cpu2@952125d8fd',0,0.6,'{"cpu": 1.25, "total": 1.5}','{}','{"dataset": "ds-fmnist-tops"}',1796160652.0,'bb/0');
INSERT INTO "evaluations" VALUES('fmnist-tops','0_0_0_0_0_1_0_0_0','embedded','ea5e93aa5e2b','cpu2@952125d8fd',1,0.61,'{"cpu": 1.25, "total": 1.5}','{}','{"dataset": "ds-fmnist-tops"}',1796160652.0,'bb/1');
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','1');
COMMIT;

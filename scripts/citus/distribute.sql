-- Generated from server/src/db/distribution.ts (citusDistributionScript): change that, not this file.
-- Distributes an install's tables on Citus; the steps around it are in docs/citus.md. Run once, on the
-- coordinator, after the migrations, with the coordinator already in the metadata
-- (SELECT citus_set_coordinator_host('<host>', <port>)): the local tables that point at reference
-- tables, or that reference tables point at, then become Citus-managed local tables on the coordinator.
\set ON_ERROR_STOP on

-- Reference tables: one copy on every node. A table after the tables it references.
SELECT create_reference_table('areas');
SELECT create_reference_table('area_merges');
SELECT create_reference_table('area_split_weights');
SELECT create_reference_table('agencies');
SELECT create_reference_table('agency_aliases');
SELECT create_reference_table('catalogues');
SELECT create_reference_table('catalogue_groups');
SELECT create_reference_table('indicators');
SELECT create_reference_table('indicator_agencies');
SELECT create_reference_table('dimensions');
SELECT create_reference_table('dimension_options');
SELECT create_reference_table('reporting_obligations');
SELECT create_reference_table('targets');
SELECT create_reference_table('programmes');
SELECT create_reference_table('indicator_keys');
SELECT create_reference_table('area_keys');
SELECT create_reference_table('disaggregation_keys');
SELECT create_reference_table('series_links');

-- Distributed tables, by their distribution column; a co-located table after the first of its group.
SELECT create_distributed_table('data_values', 'indicator_code', colocate_with => 'none');
SELECT create_distributed_table('figure_facts', 'indicator_key', colocate_with => 'none');
SELECT create_distributed_table('data_batch_undo', 'indicator_code', colocate_with => 'data_values');
SELECT create_distributed_table('figure_rollup', 'indicator_key', colocate_with => 'figure_facts');

-- Local tables, left on the coordinator:
-- schema_migrations, users, sessions, api_tokens, login_failures, audit_log, data_batches, entry_reopenings,
-- attachments, documents, task_lists, task_sections, tasks, task_agencies, task_indicators, task_reports,
-- task_events, notifications, notification_reads, outbound_messages, projects, dashboards, install_profile,
-- pending_startup_steps, reference_revision, install_identity, change_log, sync_links, webhook_subscriptions,
-- webhook_deliveries, webhook_receipts

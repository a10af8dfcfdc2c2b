/** Every handler Millrace serves; the registry (and so ApiVersions) is built from this list. */
import type { Handler } from './handler.js';
import type { BrokerServices } from './services.js';
import { alterConfigsHandler } from './alter-configs.js';
import { apiVersionsHandler } from './api-versions.js';
import { createAclsHandler } from './create-acls.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteAclsHandler } from './delete-acls.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeAclsHandler } from './describe-acls.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeGroupsHandler } from './describe-groups.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler } from './heartbeat.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { produceHandler } from './produce.js';
import { syncGroupHandler } from './sync-group.js';

export function createHandlers(s: BrokerServices): Handler[] {
  return [
    produceHandler(s),
    fetchHandler(s),
    listOffsetsHandler(s),
    metadataHandler(s),
    apiVersionsHandler(s),
    createTopicsHandler(s),
    deleteTopicsHandler(s),
    deleteRecordsHandler(s),
    initProducerIdHandler(s),
    describeConfigsHandler(s),
    alterConfigsHandler(s),
    createPartitionsHandler(s),
    incrementalAlterConfigsHandler(s),
    describeClusterHandler(s),
    describeLogDirsHandler(s),
    describeAclsHandler(s),
    createAclsHandler(s),
    deleteAclsHandler(s),
    findCoordinatorHandler(s),
    joinGroupHandler(s),
    syncGroupHandler(s),
    heartbeatHandler(s),
    leaveGroupHandler(s),
    offsetCommitHandler(s),
    offsetFetchHandler(s),
    listGroupsHandler(s),
    describeGroupsHandler(s),
    deleteGroupsHandler(s),
    offsetDeleteHandler(s),
  ];
}

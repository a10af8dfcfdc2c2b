"""kafka-python's ACL admin calls against a broker without an authorizer.

Prints one JSON object: the error class name each call reports (Kafka's
answer without an authorizer is SECURITY_DISABLED for all three)."""
import json
import sys

from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType, KafkaAdminClient,
                         ResourcePattern, ResourcePatternFilter, ResourceType)

bootstrap = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='millrace-acls')
out = {}
pattern = ResourcePattern(ResourceType.TOPIC, 'orders', ACLResourcePatternType.LITERAL)
acl = ACL('User:alice', '*', ACLOperation.READ, ACLPermissionType.ALLOW, pattern)
acl_filter = ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY,
                       ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
try:
    admin.describe_acls(acl_filter)
    out['describe'] = 'NoError'
except Exception as e:  # kafka-python raises the error class for the response's code
    out['describe'] = type(e).__name__
created = admin.create_acls([acl])
out['create'] = [type(err).__name__ if isinstance(err, Exception) else err.__name__ for (_, err) in created['failed']]
out['create_succeeded'] = len(created['succeeded'])
deleted = admin.delete_acls([acl_filter])
out['delete'] = [err.__name__ for (_, _, err) in deleted]
admin.close()
print(json.dumps(out))

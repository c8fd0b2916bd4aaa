"""The local database is the real DynamoDB Local, with the table the spec defines."""

from chalicelib.spec import table_definition


def test_table_has_the_spec_indexes_and_ttl(dynamodb, table):
    client = dynamodb.client()
    desc = client.describe_table(TableName=table)["Table"]
    names = {g["IndexName"] for g in desc["GlobalSecondaryIndexes"]}
    assert names == {g["IndexName"] for g in table_definition()["GlobalSecondaryIndexes"]}
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_conditional_write_is_enforced(dynamodb, table):
    client = dynamodb.client()
    item = {"PK": {"S": "X"}, "SK": {"S": "Y"}}
    client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(PK)")
    try:
        client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(PK)")
    except client.exceptions.ConditionalCheckFailedException:
        pass
    else:
        raise AssertionError("DynamoDB Local accepted a write whose condition failed")
